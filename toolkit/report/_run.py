"""Running a post-mortem: the bundled notebook executed with papermill, then converted by nbconvert (with the
report's template) into one HTML page, written whole or not at all."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from .._io import write_atomic
from .._progress import ENVIRONMENT as PROGRESS_ENV
from ..errors import ReportError

__all__ = ["NOTEBOOK", "NOTEBOOK_ONLY", "TEMPLATES", "execute", "run_report", "to_html"]

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
            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # not its notice about plain TCP on localhost
    except PapermillExecutionError as exc:
        if exc.ename == "KeyboardInterrupt":  # ^C reached the kernel too: one interruption, not its traceback
            raise KeyboardInterrupt from None
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
    return body


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
