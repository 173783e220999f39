"""The recording file: one writer per file (shared by every client recording to it), its locks, rotation, and
the warning when a line cannot be written.

Several processes may record to one file. Each line is one ``write`` to a file opened for appending, which
the system keeps whole; with rotation, a lock on the file's folder is held across processes while a line is
written or the file rotated, and a process whose file was rotated by another opens the new one, so no line is
lost or written into a file already renamed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import orjson

from .._words import shown_name
from ..errors import ParameterError
from ..secrets import redact

#: The one ``rotate=`` the writer knows besides None: a new file when a call falls on a new UTC day.
DAILY = "daily"


class RecordingWarning(UserWarning):
    """The recorder could not write a call; the call itself went on."""


class Writer:
    """One recording file: a lock, the open file, rotation, and the warn-once state.

    Every line is written with one system call and no buffer, so a crash loses at most the line being
    written. :meth:`acquire` hands out the one writer of a path (counting its users), :meth:`release` gives
    it back; the last user closes the file.
    """

    _registry: dict[str, Writer] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def acquire(cls, path, max_bytes: int | None, rotate: str | None) -> Writer:
        """The writer of ``path`` (made on first use); ``max_bytes`` and ``rotate`` are checked already, and
        must be those of the clients already recording to that file."""
        key = os.path.abspath(os.fspath(path))
        with cls._registry_lock:
            writer = cls._registry.get(key)
            if writer is None:
                writer = cls._registry[key] = cls(key, max_bytes, rotate)
            elif (writer.max_bytes, writer.rotate) != (max_bytes, rotate):
                raise ParameterError(f"{key} is already recorded to with max_bytes={writer.max_bytes!r}, "
                                     f"rotate={writer.rotate!r}; use the same settings for one file")
            writer.refs += 1
        return writer

    def __init__(self, path: str, max_bytes, rotate):
        self.path = path
        self.max_bytes = max_bytes
        self.rotate = rotate
        self.refs = 0
        self.lock = threading.Lock()
        self.file = None
        self.size = 0
        self.first: float | None = None  # epoch of the current file's first call
        self.failing = False
        self.lost = 0  # lines that could not be written
        self._shared = None  # the lock across processes, when the file rotates

    def release(self):
        with self._registry_lock:
            self.refs -= 1
            if self.refs <= 0:
                self._registry.pop(self.path, None)
                with self.lock:
                    self._close()
                    if self._shared is not None:
                        self._shared.close()

    def write(self, line: bytes, when: float) -> None:
        with self.lock, self._across_processes():
            try:
                if self.file is None or self._rotated_elsewhere():
                    self._close()
                    self._open()
                if self.size and self._due(len(line), when):
                    self._rotate()
                view = memoryview(line)
                while view:
                    view = view[self.file.write(view):]
                self.size += len(line)
                if self.first is None:
                    self.first = when
                self.failing = False
            except Exception as exc:
                self._close()
                self.lost += 1
                reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else (
                    f"{exc.strerror or exc}")
                self._warn(f"cannot write the recording {shown_name(self.path)} ({redact(reason)})")

    def _across_processes(self):
        """The lock beside the file, held while a line is written, when the file rotates (other processes may
        rotate it too); without rotation, appends of whole lines need none."""
        if self.max_bytes is None and self.rotate is None:
            return contextlib.nullcontext()
        if self._shared is None:
            self._shared = _ProcessLock(os.path.dirname(self.path) or ".")
        return self._shared

    def _rotated_elsewhere(self) -> bool:
        """Whether another process rotated the file since it was opened here (then the size is read again)."""
        if self.max_bytes is None and self.rotate is None:
            return False
        try:
            here = os.fstat(self.file.fileno())
            there = os.stat(self.path)
        except OSError:
            return True
        if (here.st_ino, here.st_dev) != (there.st_ino, there.st_dev):
            return True
        self.size = here.st_size  # with the lines other processes appended
        return False

    def failed(self, message: str) -> None:
        with self.lock:
            self.lost += 1
            self._warn(message)

    def _warn(self, message: str) -> None:
        if not self.failing:
            self.failing = True
            warnings.warn(f"{message}; the call went on unrecorded, and later calls will try again",
                          RecordingWarning, stacklevel=2)

    def _open(self):
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.file = open(self.path, "ab", buffering=0)
        self.size = os.fstat(self.file.fileno()).st_size
        self.first = _first_time(self.path) if self.size else None

    def _due(self, n: int, when: float) -> bool:
        if self.max_bytes is not None and self.size + n > self.max_bytes:
            return True
        if self.rotate == DAILY and self.first is not None:
            return int(when // 86400) != int(self.first // 86400)
        return False

    def _rotate(self):
        self._close()
        p = Path(self.path)
        stamp = datetime.fromtimestamp(self.first if self.first is not None else time.time(), timezone.utc)
        stem = f"{p.stem}.{stamp:%Y%m%dT%H%M%S}.{stamp.microsecond // 1000:03d}Z"
        target = p.with_name(stem + p.suffix)
        n = 0
        while target.exists():
            n += 1
            target = p.with_name(f"{stem}-{n}{p.suffix}")
        os.replace(self.path, target)
        self._open()

    def _close(self):
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None


class _ProcessLock:
    """A lock across processes on the recording's folder: ``flock`` on the folder, opened by each process
    (a process forked from another opens its own, so forked workers exclude each other too), taken blocking
    (no polling); where there is none (Windows), the ``filelock`` package's lock in a file there."""

    def __init__(self, folder: str):
        self.folder, self.fd, self._pid = folder, None, None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            from filelock import FileLock

            self._fcntl, self._other = None, FileLock(os.path.join(folder, ".toolkit-recording.lock"))
        else:
            self._fcntl, self._other = fcntl, None

    def __enter__(self):
        if self._fcntl is None:  # pragma: no cover - Windows
            os.makedirs(self.folder, exist_ok=True)
            self._other.acquire()
            return self
        if self.fd is None or self._pid != os.getpid():
            os.makedirs(self.folder, exist_ok=True)
            self.fd, self._pid = os.open(self.folder, os.O_RDONLY), os.getpid()
        self._fcntl.flock(self.fd, self._fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self._fcntl is None:  # pragma: no cover - Windows
            self._other.release()
        else:
            self._fcntl.flock(self.fd, self._fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None and self._pid == os.getpid():
            os.close(self.fd)
        self.fd = None


def _first_time(path: str) -> float:
    """The epoch of a recording's first line, or the file's modification time."""
    try:
        with open(path, "rb") as f:
            ts = orjson.loads(f.readline(1 << 16)).get("ts")
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except (OSError, ValueError, AttributeError, TypeError):
        try:
            return os.path.getmtime(path)
        except OSError:
            return time.time()
