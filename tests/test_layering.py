"""The package's import layers: a module never imports a layer above its own.

Static: every ``.py`` file under ``sklearn_deep/`` is parsed with :mod:`ast`
(nothing is imported or run), and each ``import x`` / ``from x import y`` it
holds, at module level or inside a function (or ``if TYPE_CHECKING``), counts.
Relative imports are resolved; ``from pkg import name`` counts as importing
``pkg.name`` when that is a module of the package, else ``pkg``.
"""

import ast
import functools
from collections import namedtuple
from pathlib import Path

import pytest

PACKAGE = "sklearn_deep"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# Layers, lowest first: a module may import its own layer and lower ones only.
# A module takes the layer of the longest entry that is it or a package above
# it, so "sklearn_deep" (the package __init__) also covers any new subpackage
# not listed: unknown subpackages are top layer.
LAYERS = {
    "sklearn_deep.utils": 1,  # utilities
    "sklearn_deep.exceptions": 1,
    "sklearn_deep.metrics": 1.5,  # leaf helpers: utils only; anything above may use
    "sklearn_deep.datasets": 1.5,
    "sklearn_deep.nn": 2,  # pure torch networks: no sklearn, no skorch
    "sklearn_deep._training": 3,  # the training engine
    "sklearn_deep.base": 4,  # the estimator base (optional: may not exist yet)
    "sklearn_deep.neural_network": 5,  # estimator families and the rest
    "sklearn_deep.convolutional": 5,
    "sklearn_deep.graph": 5,
    "sklearn_deep.sequence": 5,
    "sklearn_deep.wrappers": 5,
    "sklearn_deep.inspection": 5,
    "sklearn_deep._persistence": 5,
    "sklearn_deep.onnx": 5,  # export: reads the fitted estimators of the families
    "sklearn_deep": 5,
}

# Modules that may import any layer. Keep this list short.
ALLOWED_UPWARD = {
    # all_estimators() enumerates the estimators exported by the package.
    "sklearn_deep.utils.discovery",
    # the estimator checks run on every estimator of the families.
    "sklearn_deep.utils.estimator_checks",
    # save/load helpers build the estimators they read (if the module exists).
    "sklearn_deep.utils._persistence",
}
# Entries above that need not exist (yet).
OPTIONAL = {"sklearn_deep.base", "sklearn_deep.utils._persistence"}

# Layers that must not import these third-party packages, not even indirectly
# through other modules of sklearn_deep.
PURE_TORCH = {"sklearn_deep.nn": ("sklearn", "skorch")}

# Same-layer imports that are forbidden all the same: (module, imported, why).
FORBIDDEN = [
    (
        "sklearn_deep.neural_network._base",
        "sklearn_deep.neural_network._autoencoder",
        "the MLP base must not depend on one of the estimators built on it",
    ),
]
Import = namedtuple("Import", "module imported line path")


# ------------------------------------------------------------------ checker
def _in_package(name):
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _within(name, prefix):
    return name == prefix or name.startswith(prefix + ".")


def layer_of(module):
    """The layer of a module of the package (the longest matching entry)."""
    matches = [key for key in LAYERS if _within(module, key)]
    return LAYERS[max(matches, key=len)]


def _resolve(base, level, package):
    """The absolute name of ``from <.*level><base> import ...`` in ``package``."""
    if level == 0:
        return base
    parts = package.split(".")
    if level - 1 >= len(parts):
        raise ImportError(f"relative import beyond the top of {package}")
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([base] if base else []))


def imports_of(module, source, *, is_package=False, known=(), path="<string>"):
    """Every import in ``source``, the code of ``module``, sorted by line.

    ``known`` names the modules of the package, to tell ``from pkg import mod``
    (importing ``pkg.mod``) from ``from pkg import attribute`` (``pkg``).
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, node.lineno, path))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                imported = candidate if candidate in known else base
                found.append(Import(module, imported, node.lineno, path))
    return sorted(set(found), key=lambda i: (i.line, i.imported))


def upward_imports(imports):
    """The imports of the package that reach a higher layer than the importer."""
    return [
        i
        for i in imports
        if _in_package(i.module)
        and _in_package(i.imported)
        and i.module not in ALLOWED_UPWARD
        and layer_of(i.imported) > layer_of(i.module)
    ]


def _describe(imports):
    return "\n".join(
        f"  {i.path}:{i.line}: {i.module} (layer {layer_of(i.module)}) imports "
        f"{i.imported}"
        + (f" (layer {layer_of(i.imported)})" if _in_package(i.imported) else "")
        for i in imports
    )


@functools.cache
def scan():
    """``{module: path}`` of the package and all the imports of its modules."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    imports = []
    for module, (path, is_package) in modules.items():
        shown = path.relative_to(PACKAGE_DIR.parent).as_posix()
        imports += imports_of(
            module,
            path.read_text(encoding="utf-8"),
            is_package=is_package,
            known=modules,
            path=shown,
        )
    return {m: p for m, (p, _) in modules.items()}, tuple(imports)


def _third_party(imports, forbidden):
    return [i for i in imports if i.imported.split(".")[0] in forbidden]


def _reachable(start, imports):
    """The modules of the package that importing ``start`` loads, per the code.

    Importing ``a.b.c`` runs ``a/b/__init__.py`` too, so parent packages count,
    except the package's own ``__init__``, which re-exports every estimator.
    """
    edges = {}
    for i in imports:
        if _in_package(i.imported):
            edges.setdefault(i.module, set()).add(i.imported)
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen or module == PACKAGE:
            continue
        seen.add(module)
        todo += edges.get(module, ())
        todo.append(module.rpartition(".")[0])
    return seen


def _unit(module):
    """The top-level subpackage or module of the package that holds ``module``."""
    return ".".join(module.split(".")[:2])


def _reach(graph, start):
    """Every node reachable from ``start`` in ``graph`` ({node: successors})."""
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def import_cycles(imports):
    """The imports between top-level subpackages that lie on a cycle.

    The package ``__init__`` and the modules allowed to import upward are left
    out; two subpackages that reach each other (e.g. neural_network <-> graph)
    are a cycle.
    """
    edges = [
        i
        for i in imports
        if _in_package(i.module)
        and _in_package(i.imported)
        and PACKAGE not in (i.module, i.imported)
        and i.module not in ALLOWED_UPWARD
        and _unit(i.module) != _unit(i.imported)
    ]
    graph = {}
    for i in edges:
        graph.setdefault(_unit(i.module), set()).add(_unit(i.imported))
    reaches = {unit: _reach(graph, unit) for unit in graph}
    return [i for i in edges if _unit(i.module) in reaches.get(_unit(i.imported), ())]


# -------------------------------------------------------------------- tests
def test_layer_table_names_existing_modules():
    modules, _ = scan()
    names = (set(LAYERS) | ALLOWED_UPWARD | set(PURE_TORCH)) - OPTIONAL
    names |= {name for pair in FORBIDDEN for name in pair[:2]}
    assert sorted(names - set(modules)) == [], "stale entries in the layer table"


def test_no_module_imports_a_higher_layer():
    _, imports = scan()
    upward = upward_imports(imports)
    assert not upward, "imports of a higher layer:\n" + _describe(upward)


@pytest.mark.parametrize("layer", sorted(PURE_TORCH))
def test_pure_torch_layer_imports_neither_sklearn_nor_skorch(layer):
    _, imports = scan()
    direct = [i for i in imports if _within(i.module, layer)]
    bad = _third_party(direct, PURE_TORCH[layer])
    assert not bad, f"{layer} imports {PURE_TORCH[layer]}:\n" + _describe(bad)


@pytest.mark.parametrize("layer", sorted(PURE_TORCH))
def test_pure_torch_layer_does_not_reach_sklearn_through_the_package(layer):
    modules, imports = scan()
    loaded = set()
    for module in modules:
        if _within(module, layer):
            loaded |= _reachable(module, imports)
    bad = _third_party([i for i in imports if i.module in loaded], PURE_TORCH[layer])
    assert not bad, (
        f"{layer} loads modules that import {PURE_TORCH[layer]}:\n" + _describe(bad)
    )


def test_no_import_cycles_between_subpackages():
    _, imports = scan()
    cycles = import_cycles(imports)
    assert not cycles, "imports that form cycles:\n" + _describe(cycles)


def test_no_import_cycles_between_modules():
    """No module reaches itself through the imports of other modules.

    Package ``__init__`` files only re-export, so their edges are left out.
    """
    modules, imports = scan()
    packages = {m for m, path in modules.items() if path.name == "__init__.py"}
    graph = {}
    for i in imports:
        ends = {i.module, i.imported}
        if ends <= set(modules) and not ends & packages:
            graph.setdefault(i.module, set()).add(i.imported)

    cyclic = sorted(m for m in graph if m in _reach(graph, m))
    assert not cyclic, f"modules on an import cycle: {cyclic}"


def _rule(module, imported, why):
    return pytest.param(module, imported, why, id=f"{module}-{imported}")


@pytest.mark.parametrize("module, imported, why", [_rule(*r) for r in FORBIDDEN])
def test_forbidden_imports(module, imported, why):
    _, imports = scan()
    bad = [i for i in imports if i.module == module and _within(i.imported, imported)]
    assert not bad, f"{why}:\n" + _describe(bad)


# ------------------------------------------------------- the checker itself
SYNTHETIC = """\
import numpy as np
import sklearn.utils
from sklearn_deep.utils import _torch


def build():
    from sklearn_deep.neural_network import MLPClassifier
    from ..graph import _gcn
    from . import _mlp

    return MLPClassifier, _gcn, _mlp
"""


def test_checker_reports_upward_imports_with_their_lines():
    known = {
        "sklearn_deep.graph._gcn",
        "sklearn_deep.nn._mlp",
        "sklearn_deep.utils._torch",
    }
    imports = imports_of("sklearn_deep.nn._fake", SYNTHETIC, known=known)
    assert [(i.module, i.imported, i.line) for i in upward_imports(imports)] == [
        ("sklearn_deep.nn._fake", "sklearn_deep.neural_network", 7),
        ("sklearn_deep.nn._fake", "sklearn_deep.graph._gcn", 8),
    ]
    assert [(i.imported, i.line) for i in _third_party(imports, ("sklearn",))] == [
        ("sklearn.utils", 2)
    ]
    # The same code in an exempt module is allowed; in a family, nothing is upward.
    assert upward_imports(imports_of("sklearn_deep.utils.discovery", SYNTHETIC)) == []
    assert upward_imports(imports_of("sklearn_deep.graph._x", SYNTHETIC)) == []
    assert layer_of("sklearn_deep.brand_new._module") == LAYERS["sklearn_deep"]
    # A cycle between two families is reported edge by edge.
    cycle = imports_of("sklearn_deep.graph._x", SYNTHETIC) + imports_of(
        "sklearn_deep.neural_network._y", "from sklearn_deep.graph import _x\n"
    )
    assert [(i.module, i.imported) for i in import_cycles(cycle)] == [
        ("sklearn_deep.graph._x", "sklearn_deep.neural_network"),
        ("sklearn_deep.neural_network._y", "sklearn_deep.graph"),
    ]
