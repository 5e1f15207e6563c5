"""The package's layers import one way (docs/architecture.md): spec -> compile -> engine ->
run -> results -> report, the command on top; the spec layer imports no JAX."""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import creditsim

ROOT = Path(creditsim.__file__).parent

#: What each layer may import at module level (besides itself and ``_version``).
ALLOWED = {
    "spec": set(),
    "testing": {"spec"},
    "compile": {"spec"},
    "engine": {"spec", "compile"},
    "results": {"spec", "engine"},  # the engine's names of its totals
    "run": {"spec", "compile", "engine", "results"},
    "report": {"spec", "results"},
    "cli": {"spec", "run", "results", "report"},
}
#: Imports inside a function that go up a layer, each with its reason.
LAZY_EXCEPTIONS = {("spec", "run")}  # Scenario.run(): the file's run, a convenience for scripts


def _imports():
    """(layer, imported layer, at module level?, file, line) for each in-package import."""
    out = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if len(parts) < 3:
            continue  # the package's own __init__ and __main__
        layer, pkg = parts[1], ".".join(parts[:-1])
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), pkg)
                targets = [f"{base}.{a.name}" for a in node.names] if base == "creditsim" else [base]
                for t in targets:
                    other = t.split(".")[1]
                    if other not in (layer, "_version"):
                        out.append((layer, other, id(node) in top, path.name, node.lineno))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.startswith("creditsim") for n in names), f"{path}:{node.lineno}: import relatively"
    return out


def test_every_module_is_in_a_known_layer():
    layers = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert layers == set(ALLOWED)


def test_layers_import_one_way():
    found = _imports()
    assert found  # the check sees the imports
    wrong = [f for f in found if f[2] and f[1] not in ALLOWED[f[0]]]
    assert not wrong, f"imports against the layers: {wrong}"
    up = [f for f in found if not f[2] and f[1] not in ALLOWED[f[0]] and (f[0], f[1]) not in LAZY_EXCEPTIONS]
    assert not up, f"imports inside functions against the layers: {up}"


def test_the_spec_layer_imports_no_jax():
    code = ("import sys, pkgutil, importlib, creditsim.spec as s\n"
            "for m in pkgutil.iter_modules(s.__path__):\n"
            "    importlib.import_module('creditsim.spec.' + m.name)\n"
            "print(sorted(m for m in ('jax', 'xarray', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
