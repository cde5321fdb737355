"""The packages form layers: each imports only packages below it, so the core never reaches up."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Top to bottom; demosite stands apart (only the shell, tests and benchmarks use it).
LAYERS = ["dateline", "flows", "backfill", "spiders", "core", "extraction", "archive"]
STANDALONE = {"demosite": set[str](), "dateline": {"demosite"}}
PACKAGES = [*LAYERS, "demosite"]


def imported_packages(package: str) -> dict[str, set[str]]:
    """Our top-level packages that each module of ``package`` imports (module -> packages)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tops: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                tops.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                tops.update(alias.name.split(".")[0] for alias in node.names)
        found[str(path.relative_to(ROOT))] = (tops & set(PACKAGES)) - {package}
    return found


def allowed(package: str) -> set[str]:
    below = set(LAYERS[LAYERS.index(package) + 1 :]) if package in LAYERS else set()
    return below | STANDALONE.get(package, set())


def test_every_package_imports_only_the_layers_below_it() -> None:
    wrong = [
        f"{module} imports {sorted(tops - allowed(package))}"
        for package in PACKAGES
        for module, tops in imported_packages(package).items()
        if tops - allowed(package)
    ]
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_the_check_sees_imports() -> None:
    # The check must not pass vacuously: the shell does import the flows, the flows the spiders.
    assert any("flows" in tops for tops in imported_packages("dateline").values())
    assert any("spiders" in tops for tops in imported_packages("flows").values())
    assert "flows" not in allowed("spiders") and "archive" in allowed("core")
