"""What a retry is, written once: a failed call that repeats the identical failed call just before it.

Calls are identical when they share market, method, endpoint and symbol
(:data:`CALL_COLUMNS`; a missing symbol counts as a value, a column the frame
lacks is left out). A failed call is a *repeat* when the identical call just
before it failed with the same error (category, reason and code,
:data:`ERROR_COLUMNS`) at most ``within`` earlier; a success in between ends the
chain. :func:`toolkit.retries` counts repeats per kind of error,
:func:`toolkit.find_incidents` per incident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._grid import ids
from ..selection import as_duration, times

__all__ = ["CALL_COLUMNS", "ERROR_COLUMNS", "repeat_chains", "repeat_flags"]

#: What makes two calls identical.
CALL_COLUMNS = ("market", "method", "endpoint", "symbol")

#: What makes two errors the same.
ERROR_COLUMNS = ("category", "reason", "code")


def repeat_chains(df: pd.DataFrame, within, func: str) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``df`` in order of identical call, then time, and which of them repeat the row before.

    Returns ``(order, repeat)``: ``order`` the row positions, ``repeat[i]``
    whether row ``order[i]`` is a repeat. A chain is a failure that is not a
    repeat and the repeats right after it.
    """
    w = as_duration(within, "within", func)
    t = times(df, func)
    err = df["is_error"].to_numpy(dtype=bool, na_value=False)
    call_id = ids(df, [c for c in CALL_COLUMNS if c in df])
    error_id = np.full(len(t), -1, dtype=np.int64)
    if err.any():
        error_cols = [c for c in ERROR_COLUMNS if c in df]
        error_id[err] = ids(df[error_cols][err], error_cols)
    order = np.lexsort((t, call_id))
    cid, ts, eid = call_id[order], t[order], error_id[order]
    repeat = np.zeros(len(order), dtype=bool)
    repeat[1:] = (cid[1:] == cid[:-1]) & (ts[1:] - ts[:-1] <= w) & (eid[1:] >= 0) & (eid[1:] == eid[:-1])
    return order, repeat


def repeat_flags(df: pd.DataFrame, within, func: str) -> np.ndarray:
    """Whether each row of ``df`` is a repeat (see the module notes), as a boolean array in the frame's order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2026-11-19 02:10:00", "2026-11-19 02:10:02", "2026-11-19 02:10:30"], utc=True),
    ...     "market": "futures", "endpoint": "/api/v1/futures/open-api/order/create", "is_error": True,
    ...     "category": "insufficient_funds", "reason": "insufficient_margin", "code": 8018})
    >>> repeat_flags(df, "10s", "retries").tolist()
    [False, True, False]
    """
    order, repeat = repeat_chains(df, within, func)
    out = np.zeros(len(order), dtype=bool)
    out[order] = repeat
    return out
