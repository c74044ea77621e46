"""The project's imports, read from the source: no import cycles between its modules (lazy imports inside
functions and `importlib.import_module("...")` calls included), and every third-party package the code
imports is declared in pyproject.toml.

The graph is built from the files, not by importing them, so a cycle hidden behind a lazy import is found
as well as one at module level. An import of `a.b.c` is an edge to the module `a.b.c` (to the package
`a.b` when `c` is a name inside it); a package's `__init__` is a node of its own.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "model", "vision", "kernels", "train", "uicode")


def _module_files() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str, is_package: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names imported from it) for every import statement and `importlib.import_module` call."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, tuple(a.name for a in node.names)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, ()))
    return found


def _graph() -> dict[str, set[str]]:
    files = _module_files()
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        for target, names in _imports(path, mod, path.name == "__init__.py"):
            if target not in files:
                continue
            # `from pkg import sub` imports the submodule `pkg.sub`; other names come from `pkg` itself.
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in files]
            if subs:
                graph[mod].update(subs)
            if not names or len(subs) < len(names):
                graph[mod].add(target)
            graph[mod].discard(mod)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_reader_sees_lazy_and_importlib_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import importlib\n\ndef f():\n    from app.pipeline import Pipeline\n"
                   "    importlib.import_module('app.scoring.evaluate')\n")
    found = [t for t, _ in _imports(src, "app.x", False)]
    assert "app.pipeline" in found and "app.scoring.evaluate" in found
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


# ---------------------------------------------------------------------------------------------- dependencies
def _declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta.get("optional-dependencies", {}).values() for r in extra]
    return {_normal(re.match(r"[A-Za-z0-9_.-]+", r).group(0)) for r in reqs}


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level names of every non-stdlib, non-project import → the files that import them."""
    ours = set(PACKAGES) | {"tests", "bench"}
    out: dict[str, set[str]] = {}
    for mod, path in _module_files().items():
        for target, _ in _imports(path, mod, path.name == "__init__.py"):
            top = target.split(".")[0]
            if top and top not in ours and top not in sys.stdlib_module_names and top != "__future__":
                out.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return out


def test_every_third_party_import_is_declared():
    # Which distribution provides an import name, as the installed packages say (not a list kept by hand).
    provides = importlib.metadata.packages_distributions()
    declared = _declared()
    missing = []
    for name, where in sorted(_third_party_imports().items()):
        dists = {_normal(d) for d in provides.get(name, ())}
        assert dists, f"{name} (imported by {sorted(where)[0]}) is not installed here"
        # PySide6-Essentials provides PySide6 alone; the `PySide6` meta-package also lists it.
        if not dists & declared:
            missing.append(f"{name} ({'/'.join(sorted(dists))}, imported by {', '.join(sorted(where))})")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)


def test_the_dependency_check_sees_a_missing_declaration(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "_declared", lambda: {"torch"})
    try:
        test_every_third_party_import_is_declared()
    except AssertionError as e:
        assert "scipy" in str(e) or "numpy" in str(e)
    else:
        raise AssertionError("a missing declaration went unnoticed")
