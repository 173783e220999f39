"""The package ships its types (``py.typed``), and the public API as users call it type-checks with mypy:
``tests/typing/public_api.py`` calls every verb, the store and the plots with the types their results have."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("mypy")


def test_the_package_says_it_is_typed():
    assert (ROOT / "toolkit" / "py.typed").is_file()


def test_the_public_api_type_checks():
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                           str(ROOT / "tests" / "typing" / "public_api.py")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_call_is_caught(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import toolkit\ndf = toolkit.load_logs('data/sample')\ntoolkit.findings(df)\n"
                     "n: int = toolkit.summary(df)\n")
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(wrong)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert 'Missing positional argument "incidents"' in done.stdout
    assert "Incompatible types in assignment" in done.stdout
