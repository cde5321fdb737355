"""Shared fixtures. Server fixtures live in their own plugin modules."""

import pytest

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.sites",
    "tests.fixtures.prefect",
    "tests.fixtures.prefect_server",
]

SERVICE_FIXTURES = {"prefect_service", "service_runs", "scheduled_run"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), every test of the session's service set runs on
    one worker, in file order: one service start (~1 min), and test_service_stop (which stops and
    restarts it) after the others, as in a serial run. Without xdist the mark does nothing."""
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("prefect-service"))
