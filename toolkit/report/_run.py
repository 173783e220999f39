"""Running a post-mortem: the bundled notebook executed with papermill, then converted by nbconvert (with the
report's template) into one HTML page, written whole or not at all."""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import re
from pathlib import Path

from .._io import write_atomic
from .._progress import ENVIRONMENT as PROGRESS_ENV
from ..errors import NoCallsError, ReportError

__all__ = ["NOTEBOOK", "NOTEBOOK_ONLY", "TEMPLATES", "execute", "run_report", "to_html", "with_alt_text"]

#: The notebook :func:`toolkit.report.build_report` executes.
NOTEBOOK = Path(__file__).resolve().parent / "postmortem.ipynb"

#: The nbconvert templates, ``report`` among them.
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Cells with this tag are for people reading the notebook (how to point it at your own
#: recordings, ...) and are left out of the HTML report.
NOTEBOOK_ONLY = "notebook-only"


def execute(params, notebook: Path, cwd: Path, progress: bool, timeout: int):
    """Execute ``notebook`` in ``cwd`` with the checked ``params``; a failure inside it is one ReportError."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    values = {
        "source": params.source if len(params.source) > 1 else params.source[0],
        "start": None if params.start is None else params.start.isoformat(),
        "end": None if params.end is None else params.end.isoformat(),
        "market": params.market,
        "title": params.title,
        "bot": params.bot,
        "freq": params.freq,
    }
    quiet = logging.getLogger("papermill")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # papermill warns about optional formatters it does not find
    watched = os.environ.get(PROGRESS_ENV)
    os.environ[PROGRESS_ENV] = "0"  # the kernel inherits it: no progress bars in the report
    try:
        return papermill.execute_notebook(
            str(notebook), None, parameters=values, cwd=str(cwd), progress_bar=progress,
            kernel_name="python3", execution_timeout=timeout, request_save_on_cell_execute=False,
            # not its notice about plain TCP on localhost, nor, after ^C, its complaint that this process has gone
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as exc:
        if exc.ename == "KeyboardInterrupt":  # ^C reached the kernel too: one interruption, not its traceback
            raise KeyboardInterrupt from None
        if exc.ename == "NoCallsError":
            raise NoCallsError(exc.evalue) from None
        if exc.ename == "ReportError":
            raise ReportError(exc.evalue) from None
        raise ReportError(f"the post-mortem notebook failed in cell {exc.exec_count}: "
                          f"{exc.ename}: {exc.evalue}") from None
    except NoSuchKernel:
        raise ReportError("no Jupyter kernel named python3: install ipykernel in this environment") from None
    except CellTimeoutError:
        raise ReportError(f"a cell of the post-mortem notebook ran longer than {timeout} s") from None
    except DeadKernelError as exc:
        raise ReportError(f"the notebook's kernel died ({exc}); is the machine short of memory?") from None
    finally:
        quiet.setLevel(level)
        if watched is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = watched


def to_html(nb, title: str) -> str:
    """The executed notebook as one self-contained HTML page, code and notebook-only cells left out."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY}), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return with_alt_text(body)


_HEADING = re.compile(r"<h([1-3])[^>]*>(.*?)</h\1>|<img(?![^>]*\balt=)", re.S)
_TAGS = re.compile(r"<[^>]+>")
_NO_ALT = "No description has been provided for this image"


def with_alt_text(page: str) -> str:
    """Every image without alt text gets one: the plot's section and the first sentence of its caption.

    Examples
    --------
    >>> with_alt_text('<h2 id="t">Timeline<a href="#t">¶</a></h2><p>Errors per bucket.</p><img src="x.png">')
    '<h2 id="t">Timeline<a href="#t">¶</a></h2><p>Errors per bucket.</p><img alt="Plot: Timeline. Errors per bucket." src="x.png">'
    """
    page = page.replace(f' alt="{_NO_ALT}"', "")  # nbconvert's stand-in says nothing
    out, last, section = [], 0, "the report"
    for m in _HEADING.finditer(page):
        if m.group(1):
            section = html.unescape(_TAGS.sub("", m.group(2))).rstrip("¶").strip()
            continue
        out.append(page[last:m.start(0)])
        out.append(f'<img alt="{html.escape(_alt(section, page, m.start(0)))}"')
        last = m.end(0)
    out.append(page[last:])
    return "".join(out)


def _alt(section: str, page: str, at: int) -> str:
    """``Plot: <section>. <the last paragraph before the image, first sentence>``."""
    before = page[max(0, at - 4000):at]
    paragraphs = re.findall(r"<p>(.*?)</p>", before, re.S)
    words = html.unescape(_TAGS.sub("", paragraphs[-1])).split(". ")[0].strip().rstrip(".") if paragraphs else ""
    return f"Plot: {section}." + (f" {' '.join(words.split())}." if words else "")


def run_report(prepared, *, progress: bool = False, timeout: int = 600) -> Path:
    """Execute a post-mortem :func:`toolkit.report.prepare_report` checked, and write its page.

    The notebook runs in the page's folder, so the sources are handed to it as
    absolute paths.

    Parameters
    ----------
    prepared : PreparedReport
        What :func:`toolkit.report.prepare_report` returned.
    progress : bool, default False
        Show a progress bar on stderr while the notebook runs.
    timeout : int, default 600
        Seconds any one cell may run.

    Returns
    -------
    Path
        The page written.
    """
    params = prepared.parameters
    params = dataclasses.replace(params, source=[str(Path(s).expanduser().absolute()) for s in params.source])
    nb = execute(params, prepared.notebook, prepared.out.parent, progress, timeout)
    return write_atomic(prepared.out, to_html(nb, params.title))
