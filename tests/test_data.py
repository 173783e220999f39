"""The packaged tables: one loader, one check against each table's declared spec, errors naming file and line."""

import importlib

import pandas as pd
import pytest

import toolkit
from toolkit import data
from toolkit.classify import causes

# the modules, which share their names with the functions toolkit.classify exports
catalog = importlib.import_module("toolkit.classify.catalog")
endpoints = importlib.import_module("toolkit.classify.endpoints")


def test_the_masks_table_holds_the_masks_in_use():
    from toolkit._fingerprint import MASKS

    assert data.masks() == MASKS and len(MASKS) == 7


def _read(name):
    with open(data.__path__[0] + "/" + name, encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name,spec", [("catalog.csv", catalog._SPEC), ("endpoints.csv", endpoints._SPEC),
                                       ("causes.csv", causes._SPEC), ("masks.csv", data._MASKS)])
def test_every_packaged_table_passes_its_spec(name, spec):
    assert data.read_table(name, spec).shape == _read(name).shape


@pytest.mark.parametrize("name,spec,edit,expected", [
    ("causes.csv", causes._SPEC, lambda t: t.assign(cause=t["cause"].mask(t.index == 2, "client_mood")),
     "toolkit/data/causes.csv line 4: cause 'client_mood' is not one of"),
    ("causes.csv", causes._SPEC, lambda t: t.assign(side=t["side"].mask(t.index == 0, "bot")),
     "toolkit/data/causes.csv line 2: side 'bot' is not one of"),
    ("causes.csv", causes._SPEC, lambda t: t.assign(code=t["code"].mask(t.index == 1, "ten")),
     "toolkit/data/causes.csv line 3: code 'ten' is not a number or empty"),
    ("causes.csv", causes._SPEC, lambda t: t.rename(columns={"side": "whose"}),
     "toolkit/data/causes.csv: columns must be"),
    ("masks.csv", data._MASKS, lambda t: t.assign(pattern=t["pattern"].mask(t.index == 3, "(unclosed")),
     "toolkit/data/masks.csv line 5: pattern '(unclosed' is not a valid regex"),
    ("masks.csv", data._MASKS, lambda t: t.assign(replacement=t["replacement"].mask(t.index == 0, "URL")),
     "toolkit/data/masks.csv line 2: replacement 'URL' is not a placeholder such as '<num>'"),
    ("catalog.csv", catalog._SPEC, lambda t: t.assign(retryable=t["retryable"].mask(t.index == 4, "yes")),
     "toolkit/data/catalog.csv line 6: retryable 'yes' is not one of ['true', 'false', '']"),
    ("catalog.csv", catalog._SPEC, lambda t: t.assign(reason=t["reason"].mask(t.index == 0, "Not-OK")),
     "toolkit/data/catalog.csv line 2: reason 'Not-OK' is not snake_case"),
    ("endpoints.csv", endpoints._SPEC, lambda t: t.assign(path=t["path"].mask(t.index == 0, "/a?b=1")),
     "toolkit/data/endpoints.csv line 2: path '/a?b=1' is not a path starting with '/' without a query"),
    ("endpoints.csv", endpoints._SPEC, lambda t: t.assign(auth=t["auth"].mask(t.index == 0, "yes")),
     "toolkit/data/endpoints.csv line 2: auth 'yes' is not one of ['true', 'false']"),
    ("endpoints.csv", endpoints._SPEC, lambda t: t.assign(action=t["action"].mask(t.index == 1, "buy")),
     "toolkit/data/endpoints.csv line 3: action 'buy' is not one of ['place', 'cancel', 'query', 'other']"),
])
def test_a_broken_table_is_a_catalog_error_naming_file_and_line(name, spec, edit, expected):
    with pytest.raises(toolkit.CatalogError) as info:
        data.check_table(edit(_read(name)), name, spec)
    assert str(info.value).startswith(expected), str(info.value)


def test_checking_returns_a_new_frame():
    table = _read("endpoints.csv")
    before = table.copy()
    checked = data.check_table(table, "endpoints.csv", endpoints._SPEC)
    pd.testing.assert_frame_equal(table, before)
    assert checked["auth"].dtype == bool
