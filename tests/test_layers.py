"""The import structure of selu_theory/ and verification/, read with ``ast`` (nothing is
imported).  It fails on

* an import cycle (Tarjan's strongly connected components over every import, at module
  top or inside a function);
* an upward import: ``selu_theory`` (the mathematics) importing ``verification``, or a
  verification module importing one of a higher layer (``LAYERS`` below);
* a private name (``_x``) imported from another project module;
* a project module imported inside a function (imports belong at module top; optional
  heavy third-party dependencies such as matplotlib, dask or numba may be imported
  inside the function that needs them, with a comment saying why; so may the project
  modules declared in ``LAZY_IMPORTS``, each with its reason -- such an import is still
  an edge of the graph, checked for cycles and layers);
* dynamic imports of project modules (``importlib.import_module``, ``__import__``): the
  command modules are imported by name, not discovered.

Generated code (``selu_theory/_generated``) and generator tools (``tools/``) are skipped.
"""
from __future__ import annotations

import ast
import pathlib
import sys
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("selu_theory", "verification")
SKIP_PARTS = ("_generated", "tools", "__pycache__")

# Layers, lowest first: a module may import modules of its own layer or of lower layers
# (cycles are caught separately).  A key names a module or a package (longest prefix
# wins).  The data flow: mathematics -> claims -> engine -> certificate -> checker ->
# certify -> report -> api -> cli.
LAYERS = {
    "selu_theory": 0,                      # the mathematics: never imports verification
    # sympy -> kernel source (the printers): above the rest of the mathematics, which
    # never imports it; only the user-activation module generates kernels at run time
    "selu_theory.codegen": 0.5,
    "selu_theory.user_codegen": 0.5,       # a user activation's spec and kernels (uses codegen)
    "verification.worker_pool": 1,         # process pools (start method, orphan guard)
    "verification.files": 1,               # atomic writes of reports
    "selu_theory.initialisers": 0,         # framework initialisers -> (omega, tau)
    "selu_theory.dropout": 0,              # dropout as a map on the moments
    "selu_theory.network_sim": 0,          # numpy network vs mean-field (floats, describes only)
    "selu_theory.pointwise": 0,            # built-in activations pointwise (simulation, alpha dropout)
    "verification.domain": 1,              # claims: what is to be proved, and where
    "verification.claim_types": 1,
    "verification.claims": 1,
    "verification.claims_subfunctions": 1,
    "verification.scaled_claims": 1,
    "verification.verdicts": 1,
    "verification.search": 2,              # engine: float search, box engine, prover
    "verification.engine": 2,
    "verification.prove": 2,
    "verification.symmetry": 2,            # the mirror (mu, omega) -> (-mu, -omega), prover side
    "verification.certificate": 1,         # the certificate schema: data, read by prover and checker
    "verification.checker": 4,             # independent replay
    "verification.certify": 5,             # prove -> seal -> write -> check -> accept, and its users
    "verification.domain_search": 5,
    "verification.atlas": 5,
    "verification.compare": 5,             # the activation comparison (atlas-like, uses domain_search)
    "verification.network": 5,             # selu-verify network: initialiser + dropout layer maps, certified
    "verification.network_rates": 5,       # network --rates: per-rate certified fixed points, Jacobians
    "verification.dropout_claims": 5,      # alpha dropout with the rate as a domain variable, certified
    "verification.replay_files": 5,        # certificate files (and folders) replayed: check and api.check
    "verification.paper_grid": 6,          # the paper's grids: sweeps, certificates, tables
    "verification.report": 6,              # reports and docs tables
    "verification.catalogue": 6,
    "verification.api": 7,                 # the Python API
    "verification.cli.common": 8,          # selu-verify: what the commands share ...
    "verification.cli.claims": 9,          # ... the command groups ...
    "verification.cli.bound": 9,
    "verification.cli.design": 9,
    "verification.cli.compare": 9,
    "verification.cli.network": 9,
    "verification.cli.dropout": 9,
    "verification.cli.grid": 10,           # (grid reuses bound's arguments)
    "verification.cli": 11,                # ... and the parser that registers them
    "verification.cli.__main__": 12,
    "verification": 13,                    # the package's own __init__ (imports nothing)
}
# A module not listed above (and not inside a listed package) takes the lowest rank that
# keeps its own imports legal: the highest rank among the project modules it imports
# (0 if none).  So a new leaf module needs no entry, but a lower layer importing it fails.

# Known exceptions, each with its reason.  Every entry must still occur
# (test_allow_list_is_not_stale).
ALLOWED: set = set()  # of (kind, importer, imported module or name); empty since the redesign
# The one loader of generated kernels, keyed by activation id: the activation is data,
# so which generated module to load is decided at run time, in this one place.
# The user activation's front (selu_theory.user_activation) imports its heavy half
# (selu_theory.user_codegen: sympy and the generators, seconds to import) only on a cache
# miss, so that the CLI and the checker can import the front for every command.
DYNAMIC_IMPORTERS = {"selu_theory.kernel_loader", "selu_theory.user_activation"}
# Project modules imported inside a function, (importer, module): reason.  The grid
# method's modules import numba and compile-ready grid kernels (about 0.9 s of CPU, more
# than half of every command's start-up); only the grid commands and the replay of a
# grid certificate use them, so `selu-verify check` of claim certificates (and every
# other command) starts without them.  Every entry must still occur (test below).
LAZY_IMPORTS = {
    ("verification.cli", "verification.cli.grid"): "the grid commands' module, for their command only",
    ("verification.certify", "verification.grid_certificate"): "a grid certificate's replay only",
}


def project_modules() -> dict:
    """{dotted module name: path} of every hand-written module of the two packages."""
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if any(part in SKIP_PARTS for part in rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


class Import:
    def __init__(self, importer, module, name, line, in_function):
        self.importer, self.module, self.name = importer, module, name
        self.line, self.in_function = line, in_function


def _inside_function(node, parents) -> bool:
    node = parents.get(node)
    while node is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return True
        node = parents.get(node)
    return False


def _owning_module(name: str, mods) -> str | None:
    """The project module a dotted name lives in; None outside the project and for the
    skipped generated code."""
    if any(part in SKIP_PARTS for part in name.split(".")):
        return None
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: pathlib.Path, mods) -> tuple[list, list]:
    """(imports of project modules, dynamic-import calls) of one module.  ``from p import
    x`` is an import of module ``p.x`` when that is a module, else of ``p`` (name x)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    is_package = path.name == "__init__.py"
    out, dynamic = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if called in ("import_module", "__import__"):
                dynamic.append(node.lineno)
            continue
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        inside = _inside_function(node, parents)
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _owning_module(alias.name, mods)
                if target and target != name:
                    out.append(Import(name, target, None, node.lineno, inside))
            continue
        base = node.module or ""
        if node.level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        if base.split(".")[0] not in PACKAGES:
            continue
        for alias in node.names:
            full = f"{base}.{alias.name}"
            if full in mods:
                out.append(Import(name, full, None, node.lineno, inside))
            else:
                target = _owning_module(base, mods)
                if target and target != name:
                    out.append(Import(name, target, alias.name, node.lineno, inside))
    return out, dynamic


def import_table():
    mods = project_modules()
    imports, dynamic = [], []
    for name, path in mods.items():
        got, dyn = imports_of(name, path, mods)
        imports += got
        dynamic += [(name, line) for line in dyn]
    return mods, imports, dynamic


def strongly_connected(graph: dict) -> list:
    """Tarjan's algorithm (iterative): the components with more than one module."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    return comps


def listed_rank(module: str):
    best = None
    for key in LAYERS:
        if module == key or module.startswith(key + "."):
            if best is None or len(key) > len(best):
                best = key
    # the bare "verification" key is the package __init__ only, not a prefix for new modules
    if best == "verification" and module != "verification":
        return None
    return LAYERS[best] if best else None


def ranks(mods, graph) -> dict:
    rank = {m: listed_rank(m) for m in mods}
    unlisted = [m for m in mods if rank[m] is None]
    for m in unlisted:
        rank[m] = 0
    for _ in range(len(unlisted) + 1):  # fixpoint: unlisted modules importing unlisted ones
        changed = False
        for m in unlisted:
            r = max([rank[t] for t in graph[m]] + [0])
            if r != rank[m]:
                rank[m], changed = r, True
        if not changed:
            break
    return rank


def failures() -> set:
    """Every failure as (kind, importer, imported), with a line for the message."""
    mods, imports, dynamic = import_table()
    graph = defaultdict(set)
    for imp in imports:
        graph[imp.importer].add(imp.module)
    for m in mods:
        graph.setdefault(m, set())
    rank = ranks(mods, graph)
    found = {}
    for comp in strongly_connected(graph):
        for a in comp:
            for b in sorted(graph[a] & set(comp)):
                if a < b or a not in graph[b]:
                    found.setdefault(("cycle", a, b), f"{a} -> {b} (component: {', '.join(comp)})")
    for imp in imports:
        where = f"{mods[imp.importer].relative_to(ROOT)}:{imp.line}"
        if imp.importer.startswith("selu_theory") and imp.module.startswith("verification"):
            found.setdefault(("upward", imp.importer, imp.module), f"{where}: mathematics imports {imp.module}")
        elif rank[imp.module] > rank[imp.importer]:
            found.setdefault(("upward", imp.importer, imp.module),
                             f"{where}: layer {rank[imp.importer]} imports {imp.module} (layer {rank[imp.module]})")
        if imp.name and imp.name.startswith("_") and not imp.name.startswith("__"):
            found.setdefault(("private", imp.importer, f"{imp.module}.{imp.name}"), f"{where}: private name")
        if imp.in_function and (imp.importer, imp.module) not in LAZY_IMPORTS:
            found.setdefault(("function", imp.importer, imp.module), f"{where}: import inside a function")
    for name, line in dynamic:
        if name in DYNAMIC_IMPORTERS:
            continue
        found.setdefault(("dynamic", name, str(line)), f"{mods[name].relative_to(ROOT)}:{line}: dynamic import")
    return found


def test_module_discovery_sees_both_packages():
    mods = project_modules()
    assert "selu_theory.evaluate" in mods and "verification.cli" in mods and "verification.cli.common" in mods
    assert not any("_generated" in m for m in mods)


def test_no_cycles_upward_private_or_function_level_imports():
    found = failures()
    bad = sorted(f"{kind}: {msg}" for (kind, a, b), msg in found.items() if (kind, a, b) not in ALLOWED)
    assert not bad, "import structure violations:\n" + "\n".join(bad)


def test_allow_list_is_not_stale():
    found = failures()
    stale = sorted(ALLOWED - set(found))
    assert not stale, f"fixed, remove from ALLOWED in tests/test_layers.py: {stale}"


def test_lazy_imports_are_still_inside_functions():
    """Every declared lazy import occurs, inside a function (else the entry is stale)."""
    _, imports, _ = import_table()
    lazy = {(imp.importer, imp.module) for imp in imports if imp.in_function}
    assert not set(LAZY_IMPORTS) - lazy, f"remove from LAZY_IMPORTS: {sorted(set(LAZY_IMPORTS) - lazy)}"


def test_every_listed_layer_names_a_module_or_package():
    mods = project_modules()
    planned = {"verification.certify"}  # the certify pipeline, being written by the redesign
    missing = [k for k in LAYERS if k not in planned and not any(m == k or m.startswith(k + ".") for m in mods)]
    assert not missing, f"LAYERS names modules that do not exist: {missing}"


# The checker itself must catch what it claims to catch: small synthetic packages.

def _failures_of(tmp_path, monkeypatch, files: dict) -> set:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    return {k[0] for k in failures()}


def test_checker_catches_a_cycle(tmp_path, monkeypatch):
    kinds = _failures_of(tmp_path, monkeypatch, {
        "verification/claims.py": "from verification import engine\n",
        "verification/engine.py": "from verification.claims import X\n"})
    assert "cycle" in kinds


def test_checker_catches_upward_private_function_and_dynamic_imports(tmp_path, monkeypatch):
    assert _failures_of(tmp_path, monkeypatch, {
        "selu_theory/a.py": "from verification import claims\n",
        "verification/claims.py": ""}) == {"upward"}
    assert _failures_of(tmp_path, monkeypatch, {
        "selu_theory/a.py": "",
        "verification/claims.py": "from verification.report import fmt\n",
        "verification/report.py": ""}) == {"upward"}
    assert _failures_of(tmp_path, monkeypatch, {
        "verification/claims.py": "",
        "verification/report.py": "from verification.claims import _hidden\n"}) == {"private"}
    assert _failures_of(tmp_path, monkeypatch, {
        "verification/claims.py": "",
        "verification/report.py": "def f():\n    from verification import claims\n"}) == {"function"}
    assert _failures_of(tmp_path, monkeypatch, {
        "verification/claims.py": "",
        "verification/report.py": "import importlib\nM = importlib.import_module('verification.claims')\n"}) \
        == {"dynamic"}


def test_a_clean_synthetic_package_passes(tmp_path, monkeypatch):
    assert _failures_of(tmp_path, monkeypatch, {
        "selu_theory/a.py": "import numpy\n",
        "verification/claims.py": "from selu_theory import a\n",
        "verification/report.py": "from verification import claims\n"
                                  "def plot():\n    import matplotlib  # optional heavy dependency\n",
        "verification/newleaf.py": "from verification import report\n"}) == set()
