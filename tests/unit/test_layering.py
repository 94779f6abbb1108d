"""The house's import rule: the domain never imports the web edge, and the blueprints never import each other."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import mileage

REPOSITORY = Path(mileage.__file__).resolve().parents[1]
# Everything under mileage/ but the web edge (http/) and the blueprints that live in mileage.
WEB_EDGE = {"mileage.http", "mileage.auth_api", "mileage.volunteer_api", "mileage.app", "mileage.cli", "mileage.wsgi",
            "mileage.migrations"}


def domain_modules() -> list[str]:
    found = []
    for module in pkgutil.walk_packages([str(REPOSITORY / "mileage")], prefix="mileage."):
        if not any(module.name == edge or module.name.startswith(edge + ".") for edge in WEB_EDGE):
            found.append(module.name)
    return found


def test_the_domain_modules_import_without_flask_in_a_fresh_interpreter():
    modules = domain_modules()
    assert {"mileage.ledger.posting", "mileage.shops.redemptions", "mileage.claims.review"} <= set(modules)
    probe = (
        f"import sys\nfor name in {modules!r}: __import__(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'flask'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_dependencies_point_inward():
    """merchant_api -> mileage <- admin: mileage imports neither blueprint package, they not each other."""
    rules = {"mileage": ("admin", "merchant_api"), "admin": ("merchant_api",), "merchant_api": ("admin",)}
    offending = []
    for package, forbidden in rules.items():
        for path in (REPOSITORY / package).rglob("*.py"):
            if package == "mileage" and path.name == "app.py":
                continue  # the factory registers the blueprints, importing them inside create_app
            for name in _imported(path):
                if name.split(".")[0] in forbidden:
                    offending.append(f"{path.relative_to(REPOSITORY)} imports {name}")
    assert offending == []
