"""What users install is what the code imports: every third-party import in src/ is declared in pyproject.toml.

Module-level imports need a base dependency; imports inside functions (the optional heavy ones) need a base
dependency or an extra (and modules of genvision.app, which only `serve` imports, may use the "app" extra); an
import inside `try: ... except ImportError` is a fallback and needs neither. tests/test_wheel_install.py checks
the same the slow way, by installing the built wheel.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

SRC = REPO / "src" / "genvision"
# packages only `genvision serve` imports (lazily): their module-level imports may come from this extra
PACKAGE_EXTRAS = {"app": "app"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0])


def declared() -> tuple[set[str], dict[str, set[str]]]:
    """(base dependencies, {extra: dependencies}) from pyproject.toml, names normalised."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = {
        extra: {_requirement_name(r) for r in reqs if not r.startswith("genvision")}
        for extra, reqs in project["optional-dependencies"].items()
    }
    return {_requirement_name(r) for r in project["dependencies"]}, extras


def _guarded(tree: ast.Module) -> set[int]:
    """Line numbers of imports inside a try whose handlers catch ImportError (fallbacks)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            for h in node.handlers
        ):
            for handler in node.handlers:
                lines.update(
                    n.lineno for n in ast.walk(handler) if isinstance(n, ast.Import | ast.ImportFrom)
                )
    return lines


def third_party_imports(root: Path = SRC) -> list[tuple[str, str, bool]]:
    """(file, top-level module, at module level?) for every import of a module outside the standard library."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        fallbacks = _guarded(tree)
        top_level = {id(n) for n in tree.body} | {
            id(n) for t in tree.body if isinstance(t, ast.Try) for n in ast.walk(t)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            if node.lineno in fallbacks:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("genvision", "__future__"):
                    continue
                module = "torch.utils.tensorboard" if name.startswith("torch.utils.tensorboard") else top
                found.append((str(path.relative_to(root)), module, id(node) in top_level))
    return found


@functools.cache
def _installed() -> dict[str, list[str]]:
    return md.packages_distributions()


def distributions_of(module: str) -> set[str]:
    if module == "torch.utils.tensorboard":
        return {"tensorboard"}
    return {_normalise(d) for d in _installed().get(module, [])}


def undeclared(root: Path = SRC) -> list[str]:
    base, extras = declared()
    optional = set().union(*extras.values())
    missing = []
    for where, module, module_level in third_party_imports(root):
        dists = distributions_of(module)
        assert dists, f"{where}: {module} is not installed here, so its distribution is unknown"
        allowed = base | extras.get(PACKAGE_EXTRAS.get(Path(where).parts[0], ""), set())
        if not dists & (allowed if module_level else base | optional):
            missing.append(f"{where}: {module} ({', '.join(sorted(dists))})")
    return missing


def test_every_import_is_declared_in_the_extra_that_needs_it():
    missing = undeclared()
    assert not missing, "imported but not declared in pyproject.toml:\n" + "\n".join(missing)


def test_the_check_can_fail(tmp_path):
    """click (typer >= 0.20 no longer brings it) at module level, lpips at module level: both are caught; lpips
    inside a function (the "metrics" extra) and click in an ImportError fallback are not."""
    (tmp_path / "bad.py").write_text("import click\nimport lpips\n")
    (tmp_path / "good.py").write_text(
        "try:\n    import typer._click\nexcept ImportError:\n    import click\n\n\ndef f():\n    import lpips\n"
    )
    assert [m.split(" ")[1] for m in undeclared(tmp_path)] == ["click", "lpips"]


def test_license_metadata_is_a_pep639_expression():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] and all((REPO / f).is_file() for f in project["license-files"])
