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
    wanted = (_names(project["dependencies"]) | _names(
        r for extra in project.get("optional-dependencies", {}).values() for r in extra)) - {project["name"]}
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]  # dev includes [docs]
    conda_names = _names(d for d in conda if isinstance(d, str)) - {"python", "pip"}
    conda_to_pypi = {"python-duckdb": "duckdb", "python-isal": "isal"}
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
            got[{"python-duckdb": "duckdb", "python-isal": "isal"}.get(m.group(1).lower(), m.group(1).lower())] = m.group(2)
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
    assert sample_load.report["format"].astype(str).tolist() == ["jsonl", "jsonl", "jsonl"]
    planted = toolkit.simulation.planted()
    df = sample_load.frame
    for inc in planted.itertuples():
        inside = df[(df["ts"] >= inc.start) & (df["ts"] < inc.end) & (df["market"] == inc.market)]
        assert (inside["category"] == inc.category).sum() >= 20, inc


def test_every_endpoint_of_the_sample_is_in_the_endpoint_catalog(sample_load):
    df = sample_load.frame
    catalog = toolkit.endpoints()
    assert set(df["endpoint"].astype(str)) <= set(catalog["path"])
    assert not (df["kind"] == "unknown").any()
    # and every documented endpoint is called
    assert set(catalog["path"]) == set(df["endpoint"].astype(str))


def test_the_sample_shows_the_real_exchange_behaviour(sample_load):
    df = sample_load.frame
    batch = df[df["items"].notna()]
    assert set(batch["endpoint"].astype(str)) == {"/api/v1/stock/open-api/batchOrder",
                                                   "/api/v1/stock/open-api/batchCancelOrder"}
    failed = batch[batch["items_failed"] > 0]
    assert len(failed) > 50 and failed["is_error"].all()
    assert set(failed["reason"]) <= {"insufficient_balance", "order_not_found", "rate_limited", "order_rate_limited",
                                     "timestamp_expired", "internal_error", "gateway_error"}
    busy = df[df["reason"] == "concurrent_order_limit"]
    assert len(busy) > 20 and (busy["http_status"] == 200).all() and (busy["code"] == 1006).all()
    storms = toolkit.simulation.planted().query("kind == 'storm'")
    assert all(((busy["ts"] >= s.start) & (busy["ts"] < s.end) & (busy["market"] == s.market)).any()
               for s in storms.itertuples())
    old = df[df["code"] == 200]
    assert len(old) > 500 and (old["category"] == "ok").all() and (old["market"] == "futures").all()
    legacy = df[df["endpoint"].astype(str).str.startswith("/api/v1/fdata/")]
    assert (legacy["category"] == "ok").mean() > 0.9 and legacy["symbol"].str.endswith("-PERP").mean() > 0.9
    chinese = df.loc[df["is_error"], "message"].str.contains(r"[\u4e00-\u9fff]")
    assert 0.4 < chinese.mean() < 0.95  # mostly Chinese, as documented, with a share in English


def test_sample_never_leaks_the_recorded_keys(sample_load):
    frame = sample_load.frame
    for col in ("message", "path", "symbol"):
        assert not frame[col].str.contains("ak-0007", regex=False).any()


def test_cli_summarize_prints_the_table(capsys):
    assert main(["summarize", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "126,804 calls from 3 file(s); 0 lines rejected" in out
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


def test_data_readme_lists_each_planted_incident_with_its_cause():
    text = (ROOT / "data" / "README.md").read_text()
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if re.match(r"\| \w{3} \d\d Nov \d\d:\d\d \|", line)]
    listed = {(r[0][4:], r[2], r[3], r[4]) for r in rows}
    planted = {(f"{p.start:%d %b %H:%M}", p.market, p.category, p.cause)
               for p in toolkit.simulation.planted().itertuples()}
    assert listed == planted


def test_the_package_exports_its_verbs_errors_and_submodules():
    import inspect

    import toolkit
    import toolkit.analysis
    import toolkit.errors

    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name
    # every analysis function a user calls on a frame is reachable as toolkit.<verb>
    verbs = [n for n in toolkit.analysis.__all__ if inspect.isfunction(getattr(toolkit.analysis, n))
             and next(iter(inspect.signature(getattr(toolkit.analysis, n)).parameters), None) == "df"]
    assert verbs and set(verbs) <= set(toolkit.__all__), set(verbs) - set(toolkit.__all__)
    assert set(toolkit.errors.__all__) <= set(toolkit.__all__)
    for verb in ("load_logs", "read_logs", "attach_recorder", "scrub", "simulate", "Load"):
        assert verb in toolkit.__all__
    for module in ("analysis", "plots", "report", "store", "widgets"):
        assert module in toolkit.__all__ and inspect.ismodule(getattr(toolkit, module))
