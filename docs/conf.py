"""Sphinx configuration of the documentation site: ``make docs`` builds it into ``build/docs``.

The pages are MyST Markdown; pages with code cells and the gallery's notebooks are executed on the bundled
sample at build time (MyST-NB), and the API reference is generated from the numpydoc docstrings.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import toolkit  # noqa: E402

project = "toolkit"
author = "the toolkit's authors"
copyright = "2026, the toolkit's authors"
release = version = toolkit.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx_design",
]

exclude_patterns = ["_build", "data", "**/.ipynb_checkpoints", "figures.py"]
templates_path = ["_templates"]
html_static_path = []
html_theme = "pydata_sphinx_theme"
html_title = "toolkit: post-mortems for trading bots' API calls"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "getting-started": []}

# MyST-NB: every notebook and code-cell page runs at build time, on the bundled sample; a failing cell fails
# the build. Results are cached between local builds (``build/.jupyter_cache``); CI starts from none.
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The API reference: one page per public name, from its numpydoc docstring.
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

# No network at build time: links into other projects' docs are written as plain URLs.
intersphinx_mapping = {}
suppress_warnings = ["mystnb.unknown_mime_type"]
