"""The documentation site: every public name has its page in the API reference, and every page is in a toctree.

``make docs`` builds the site and executes its pages and notebooks (any warning fails it); these tests check
what a build would not notice.
"""

import inspect
import re

import toolkit
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def test_every_public_name_is_in_the_api_reference():
    api = (DOCS / "api.md").read_text()
    listed = set(re.findall(r"(?m)^   ([\w.]+)$", api))
    public = {n for n in toolkit.__all__ if inspect.isfunction(getattr(toolkit, n)) or inspect.isclass(getattr(toolkit, n))}
    assert public <= listed, public - listed
    for name in listed:  # every listed name exists
        obj = toolkit
        for part in name.split("."):
            obj = getattr(obj, part)


def test_every_page_is_reached_from_the_front_page():
    pages = {p.relative_to(DOCS).with_suffix("").as_posix() for p in DOCS.rglob("*.md")
             if "data" not in p.relative_to(DOCS).parts}
    pages |= {p.relative_to(DOCS).with_suffix("").as_posix() for p in (DOCS / "gallery").glob("*.ipynb")}
    reached = set()
    todo = ["index"]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        text = (DOCS / f"{page}.md").read_text() if (DOCS / f"{page}.md").exists() else ""
        for block in re.findall(r"```\{toctree\}\n(.*?)```", text, re.S):
            base = page.rsplit("/", 1)[0] + "/" if "/" in page else ""
            todo += [base + line.strip() for line in block.splitlines() if line.strip() and not line.startswith(":")]
    assert pages <= reached, pages - reached


def test_the_gallery_is_the_project_notebooks():
    assert sorted(p.name for p in (DOCS / "gallery").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
