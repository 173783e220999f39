"""The package works installed from its wheel, outside the checkout: the post-mortem report included.

The wheel is built from a copy of the package's files and installed with
``--no-deps`` into a fresh venv (no system site-packages) that finds the
dependencies already installed for the tests through a ``.pth`` file, so the
test needs no network and checks only what the wheel itself carries.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE


def clean_env():
    """The environment without what would point Python at the checkout.

    The dependencies' data files (nbconvert's base templates) live under the
    prefix they were installed in, which a real install shares with the
    toolkit; JUPYTER_PATH points there instead.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["JUPYTER_PATH"] = os.path.join(sys.prefix, "share", "jupyter")
    return env


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True, env=clean_env(),
                          **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The bin/ folder of a venv holding the toolkit as installed from its wheel."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "toolkit", src / "toolkit", ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", tmp / "dist", src)
    assert [w.name.split("-")[0] for w in (tmp / "dist").glob("*.whl")] == ["bot_postmortem"]
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # installed by its name on the package index, found among the built wheels
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
        "--find-links", tmp / "dist", "bot-postmortem")
    # after the install, or pip would take the checkout's editable install for this one
    (site / "_toolkit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_installed_package_is_the_wheels(installed, tmp_path):
    out = run(installed / "python", "-c", "import toolkit; print(toolkit.__file__); print(toolkit.__version__)",
              cwd=tmp_path).stdout.split()
    assert Path(out[0]).is_relative_to(installed.parent) and out[1] != "0+unknown"
    assert run(installed / "toolkit", "--version", cwd=tmp_path).stdout.strip() == f"toolkit {out[1]}"


def test_the_wheel_carries_the_notebook_the_catalogs_and_the_template(installed):
    package = Path(run(installed / "python", "-c", "import toolkit; print(toolkit.__file__)").stdout.strip()).parent
    for name in ("report/postmortem.ipynb", "data/catalog.csv", "data/endpoints.csv", "data/causes.csv",
                 "data/masks.csv"):
        assert (package / name).is_file(), name
    assert any((package / "report" / "templates" / "report").iterdir())


def test_toolkit_report_runs_from_the_installed_package(installed, tmp_path):
    page = tmp_path / "postmortem.html"
    done = run(installed / "toolkit", "report", SAMPLE, "--market", "futures", "--out", page.name, cwd=tmp_path)
    assert f"wrote {page}" in done.stdout
    html = page.read_text()
    assert "Post-mortem: futures" in html and "<img" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["postmortem.html"]  # nothing else written


def test_the_getting_started_page_runs_from_the_installed_package(installed, tmp_path):
    """A new user follows docs/getting-started.md with the wheel installed and gets the figures it quotes."""
    import re

    page = (ROOT / "docs" / "getting-started.md").read_text()
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", page, re.S)
    assert len(cells) >= 5
    shutil.copytree(SAMPLE, tmp_path / "data" / "sample")
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    # each cell run as a notebook runs it: the value of its last line, when an expression, is shown
    script = """
import ast, json, matplotlib, pandas
matplotlib.use("Agg")
pandas.set_option("display.width", 250)
pandas.set_option("display.max_columns", 20)
ns = {}
for cell in json.load(open("cells.json")):
    tree = ast.parse(cell)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
        if value is not None:
            print(value)
"""
    out = run(installed / "python", "-c", script, cwd=tmp_path).stdout
    for quoted in re.findall(r"On the sample[^`]*`([^`]+)`", page):
        assert quoted in out, quoted
    assert "futures-arb" in out and "client_rate" in out
