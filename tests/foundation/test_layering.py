"""The parts with no Flask and no SQL stay that way: what they import is read from their source (ast),
so a new import of the app, Flask or SQLAlchemy in them fails here, not in a later refactoring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# part -> the only modules of ours it may import (its own package).
PURE = {
    "workflows": ("workflows",),
    "certificates": ("certificates",),
    "itad/snmp": ("itad.snmp",),
    # The readers may use the domain's own pure rules (workflows: drive types and sizes), nothing else.
    "itad/erasure": ("itad.erasure", "workflows"),
    "itad/intake/manifest.py": ("itad.intake.categories", "itad.intake.errors", "itad.intake.headers",
                                "itad.intake.reading", "workflows"),
    "itad/intake/reading.py": ("itad.intake.errors",),
    "itad/intake/headers.py": (),
    "itad/intake/categories.py": (),
    "itad/intake/errors.py": (),
}
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy", "psycopg", "redis", "rq")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(PURE))
def test_a_pure_part_imports_nothing_of_the_app_and_no_web_or_database_library(part):
    target = ROOT / part
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    assert files
    allowed = PURE[part]
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.relative_to(ROOT)} imports {name}"
            if top in ("itad", "workflows", "certificates"):
                assert name.startswith(allowed), f"{path.relative_to(ROOT)} imports {name}"
