"""Writing a file whole or not at all: the one atomic writer the report, the explorer's exports, the store's
manifest and the simulator use, and the one way to make a folder's new entries durable (:func:`fsync_dir`).

Examples
--------
>>> import tempfile, pathlib
>>> from toolkit._io import atomic_file, write_atomic
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "page.html", "<p>hello</p>").read_text()
'<p>hello</p>'
>>> with atomic_file(folder / "page.html") as f:
...     _ = f.write(b"<p>half")
...     raise RuntimeError("stopped")
Traceback (most recent call last):
...
RuntimeError: stopped
>>> (folder / "page.html").read_text(), sorted(p.name for p in folder.iterdir())
('<p>hello</p>', ['page.html'])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_file", "fsync_dir", "write_atomic"]


@contextlib.contextmanager
def atomic_file(path, *, opener=None, fsync: bool = False, mode: int = 0o644):
    """A binary file to write ``path`` through: a temporary file in the same folder, renamed over ``path`` at the end.

    Readers see the old file or the whole new one, never a part; on any error
    (^C included) the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path
        The file to write.
    opener : callable, optional
        ``opener(temporary_path)`` returning a binary file to write, e.g. a
        ``gzip.GzipFile``; a plain file by default.
    fsync : bool, default False
        Flush the data to the disk before the rename (and the folder after it).
    mode : int, default 0o644
        The new file's permissions.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        if opener is None:
            f = os.fdopen(fd, "wb")
        else:
            os.close(fd)
            f = opener(tmp)
        with f:
            yield f
            if fsync:
                f.flush()
                if hasattr(f, "fileno"):
                    with contextlib.suppress(OSError, ValueError, AttributeError):
                        os.fsync(f.fileno())
        if opener is not None and fsync:
            with open(tmp, "rb") as raw:
                os.fsync(raw.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        if fsync:
            fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fsync_dir(folder) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be opened or synced).

    Examples
    --------
    >>> import tempfile
    >>> fsync_dir(tempfile.gettempdir())
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path, data: str | bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole or not at all; returns ``path`` as a Path."""
    with atomic_file(path, fsync=fsync) as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return Path(path)
