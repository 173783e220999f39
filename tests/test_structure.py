"""The package's shape: imports run one way (read → classify → analyse → plot/widgets → report/CLI, the store
beside read) and modules stay under 500 lines.

Imports inside functions count too; each subpackage (``read``, ``store``, ``analysis``) is one unit. The few
places that still go against the flow are listed, so that no new one appears and each removed one is struck
off the list.
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "toolkit"

#: Floors, lowest first: a unit may import its own floor and the floors below it.
FLOORS = [
    {"errors", "schema", "defaults", "selection", "_io", "secrets", "_shapes", "_kernels"},
    {"endpoints", "catalog", "classify"},
    {"read", "store", "record", "record_clients", "simulation", "scrub"},
    {"analysis"},
    {"plots", "widgets"},
    {"report", "dask", "cli", "__init__", "__main__"},
]

#: Imports that still run against the flow: (importer, imported).
AGAINST_THE_FLOW: set[tuple[str, str]] = set()

#: Modules still over the limit, with the most lines they may have until they are split.
OVERSIZED: dict[str, int] = {}
LIMIT = 500


def _unit(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1] if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file() else "__init__"


def imports() -> set[tuple[str, str]]:
    """(importer, imported) units of every import of a toolkit module, at any depth of the code."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
        me = _unit(".".join(parts if parts[-1] != "__init__" else parts[:-1]))
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - node.level + 1]
                if node.module:
                    targets.append(".".join(base + [node.module]))
                else:
                    targets += [".".join(base + [a.name]) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit"):
                targets.append(node.module)
            elif isinstance(node, ast.Import):
                targets += [a.name for a in node.names if a.name.startswith("toolkit")]
            for t in targets:
                other = _unit(t)
                if other != me:
                    found.add((me, other))
    return found


def floor(unit: str) -> int:
    return next(i for i, units in enumerate(FLOORS) if unit in units)


def test_every_module_has_a_floor():
    units = {_unit("toolkit." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)) for p in PACKAGE.glob("*")
             if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert units <= set().union(*FLOORS), units - set().union(*FLOORS)


def test_imports_run_one_way():
    # up a floor, or from read to the store beside it (the store reads through read, never the other way)
    upward = {(a, b) for a, b in imports() if floor(b) > floor(a) or (a, b) == ("read", "store")}
    assert upward - AGAINST_THE_FLOW == set(), "new imports against the flow"
    assert AGAINST_THE_FLOW - upward == set(), "fixed: strike these off AGAINST_THE_FLOW"


def test_nothing_in_read_imports_the_report_the_plots_or_the_widgets():
    for a, b in imports():
        if a in ("read", "analysis", "store"):
            assert b not in ("report", "plots", "widgets", "cli"), (a, b)
    assert ("widgets", "report") not in imports()


def test_modules_stay_under_500_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    over = {name: n for name, n in sizes.items() if n > LIMIT}
    assert set(over) <= set(OVERSIZED), f"split these: {sorted(set(over) - set(OVERSIZED))}"
    for name, most in OVERSIZED.items():
        assert sizes[name] <= most, f"{name} grew to {sizes[name]} lines; split it"
