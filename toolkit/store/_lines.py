"""Whole lines in a recording that may still be growing: where its last complete line ends, where a unit of
about a size ends, blocks of whole lines of a stream, and a stream that hashes what is read through it.

Each looks for a line's end a block at a time, so a line of any length costs no more memory than a block.
"""

from __future__ import annotations

import hashlib


def after_last_newline(f, size: int) -> int:
    """The offset just past the last newline in the first ``size`` bytes of ``f`` (0 when there is none)."""
    pos = size
    while pos > 0:
        step = min(pos, 1 << 16)
        f.seek(pos - step)
        block = f.read(step)
        at = block.rfind(b"\n")
        if at >= 0:
            return pos - step + at + 1
        pos -= step
    return 0


def line_end(f, at: int, limit: int) -> int:
    """The end of the line holding byte ``at - 1``: where a unit ending near ``at`` really ends (found a block at
    a time, so a line of any length costs no more memory than a block)."""
    if at >= limit:
        return limit
    pos = at - 1
    while pos < limit:
        f.seek(pos)
        block = f.read(1 << 20)
        i = block.find(b"\n")
        if i >= 0:
            return min(pos + i + 1, limit)
        if not block:
            break
        pos += len(block)
    return limit


def blocks(stream, size: int):
    """Blocks of whole lines of about ``size`` bytes, then whatever follows the last newline."""
    carry = b""
    while block := stream.read(size):
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


class Hashing:
    """A stream that hashes what is read through it."""

    def __init__(self, stream):
        self._stream = stream
        self._sha = hashlib.sha256()
        self.size = 0

    def read(self, n=-1):
        data = self._stream.read(n)
        self._sha.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


__all__ = ["Hashing", "after_last_newline", "blocks", "line_end"]
