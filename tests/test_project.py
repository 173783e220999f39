"""The repository around the package: sample data, environment files, command line."""

import filecmp
import re
import tomllib

import yaml

import toolkit
from tests.conftest import ROOT, SAMPLE
from toolkit.cli import main


def _names(requirements):
    return {re.split(r"[<>=!~\[ ]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_environment_yml_lists_the_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(
        r for extra in project.get("optional-dependencies", {}).values() for r in extra)
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_names = _names(d for d in conda if isinstance(d, str)) - {"python", "pip"}
    conda_to_pypi = {"python-duckdb": "duckdb"}
    assert {conda_to_pypi.get(n, n) for n in conda_names} == wanted


def test_environment_yml_has_the_pyproject_lower_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bound = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*>=\s*([\w.]+)")
    wanted = {}
    for r in list(project["dependencies"]) + [r for e in project["optional-dependencies"].values() for r in e]:
        m = bound.match(r)
        if m:
            wanted[m.group(1).lower()] = m.group(2)
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    got = {}
    for d in conda:
        m = bound.match(d) if isinstance(d, str) else None
        if m:
            got[{"python-duckdb": "duckdb"}.get(m.group(1).lower(), m.group(1).lower())] = m.group(2)
    got.pop("python", None)
    assert got == wanted


def test_bundled_sample_is_what_the_simulator_writes(tmp_path):
    toolkit.simulate(tmp_path, seed=7)
    names = sorted(p.name for p in SAMPLE.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []


def test_bundled_sample_loads_cleanly(sample_load):
    assert sample_load.rejects.empty
    assert len(sample_load.frame) == sample_load.lines > 100_000
    assert set(sample_load.frame["market"].astype(str)) == {"spot", "futures"}
    assert sample_load.report["format"].astype(str).tolist() == ["jsonl", "jsonl"]
    planted = toolkit.simulation.planted()
    df = sample_load.frame
    for inc in planted.itertuples():
        inside = df[(df["ts"] >= inc.start) & (df["ts"] < inc.end) & (df["market"] == inc.market)]
        assert (inside["category"] == inc.category).sum() >= 20, inc


def test_sample_never_leaks_the_recorded_keys(sample_load):
    frame = sample_load.frame
    for col in ("message", "path", "symbol"):
        assert not frame[col].str.contains("ak-0007", regex=False).any()


def test_cli_summarize_prints_the_table(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "126,676 calls from 2 file(s); 0 lines rejected" in out
    assert re.search(r"rate_limit\s+\d+\s+\d+\s+\d+", out)
    assert "error rate  spot" in out


def test_cli_errors_are_one_clean_line(capsys, tmp_path):
    assert main(["summarize", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toolkit summarize: error: no such recording") and "Traceback" not in err


def test_every_cli_command_has_help():
    from toolkit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name
        assert next(a for a in sub._choices_actions if a.dest == name).help
