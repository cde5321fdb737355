"""Shared fixtures. Server fixtures live in their own plugin modules."""

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.sites",
    "tests.fixtures.prefect",
    "tests.fixtures.prefect_server",
]
