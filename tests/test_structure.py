"""The package's shape: imports run one way (ground floor → classify → read / store / record → analyse →
plots / widgets → report / CLI), through public names, without circles; modules stay under 500 lines.

Every import of the code counts: at the top of a module, inside functions and under ``TYPE_CHECKING``.
A *unit* is a first-level subpackage or module of ``toolkit/`` (``read``, ``store``, ``analysis``, ``plots``,
``selection``, ...); the top-level ``toolkit/_*.py`` modules are the shared ground floor, each a unit of its own
that any unit may use.
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "toolkit"

#: Floors, lowest first: a unit may import its own floor and the floors below it.
FLOORS = [
    {"errors", "schema", "defaults", "_io", "secrets", "data", "_progress", "_gc"},
    {"selection", "_grid", "_fingerprint", "_words", "_shapes", "_cards"},
    {"classify"},
    {"read", "store", "record", "simulation", "scrub"},
    {"analysis"},
    {"plots", "widgets"},
    {"report", "dask", "cli", "__init__", "__main__"},
]

#: Modules still over the limit, with the most lines they may have until they are split.
OVERSIZED: dict[str, int] = {}
LIMIT = 500


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_of(p): p for p in PACKAGE.rglob("*.py")}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_package(module: str) -> bool:
    return MODULES.get(module, Path()).name == "__init__.py"


def import_edges():
    """Every import of a toolkit module: (importer, imported module, names taken from it), at any depth."""
    for module, path in sorted(MODULES.items()):
        package = module.split(".") if _is_package(module) else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("toolkit"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in MODULES:  # "from . import x" where x is a module
                        yield module, sub, None
                    else:
                        yield module, target, alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("toolkit"):
                        yield module, alias.name, None


def _private_module(module: str) -> bool:
    """Whether ``module`` is private below its unit: a ``_``-module inside a subpackage."""
    return any(part.startswith("_") for part in module.split(".")[2:])


def _private_name(name) -> bool:
    return bool(name) and name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_every_module_has_a_floor():
    units = {_unit(m) for m in MODULES}
    assert units <= set().union(*FLOORS), units - set().union(*FLOORS)


def floor(unit: str) -> int:
    return next(i for i, units in enumerate(FLOORS) if unit in units)


def test_imports_run_one_way():
    upward = sorted({(a, b) for a, b, _ in import_edges() if floor(_unit(b)) > floor(_unit(a))})
    assert upward == [], "imports against the flow"
    for a, b, _ in import_edges():
        assert not (_unit(a) == "read" and _unit(b) == "store"), "the store reads through read, never the reverse"


def test_no_unit_takes_another_units_private_modules_or_names():
    private = sorted({(a, b, name) for a, b, name in import_edges() if _unit(a) != _unit(b)
                      and (_private_module(b) or _private_name(name))})
    assert private == [], "reach other units through their public names"


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    for a, b, _ in import_edges():
        if b in MODULES and b != a:
            graph.setdefault(a, set()).add(b)
    circles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_the_reading_engine_knows_no_concrete_format():
    for a, b, _ in import_edges():
        if a == "toolkit.read.engine":
            assert not b.startswith("toolkit.read.formats"), b


def test_nothing_below_the_report_imports_the_report_the_plots_or_the_widgets():
    for a, b, _ in import_edges():
        if _unit(a) in ("read", "analysis", "store", "classify", "record"):
            assert _unit(b) not in ("report", "plots", "widgets", "cli"), (a, b)
        assert not (_unit(a) == "widgets" and _unit(b) == "report")


def test_modules_stay_under_500_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    over = {name: n for name, n in sizes.items() if n > LIMIT}
    assert set(over) <= set(OVERSIZED), f"split these: {sorted(set(over) - set(OVERSIZED))}"
    for name, most in OVERSIZED.items():
        assert sizes[name] <= most, f"{name} grew to {sizes[name]} lines; split it"


def test_every_public_module_says_what_it_exports():
    missing = []
    for module, path in MODULES.items():
        if any(part.startswith("_") for part in module.split(".")[1:]) or module == "toolkit.__main__":
            continue
        names = {t.id for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Assign, ast.AugAssign))
                 for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
        if "__all__" not in names:
            missing.append(module)
    assert missing == []


def test_user_input_errors_are_the_toolkits_own():
    # a bad parameter is a ParameterError (a ValueError) or a ParameterTypeError (a TypeError too), so that
    # ``except toolkit.ToolkitError`` catches every error the toolkit raises on purpose
    plain = [f"{p.relative_to(ROOT)}:{node.lineno}" for p in PACKAGE.rglob("*.py")
             for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
             and isinstance(node.exc.func, ast.Name) and node.exc.func.id in ("ValueError", "TypeError")]
    assert plain == []
