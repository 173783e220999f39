"""Whose fault a market-data feed drop was: each WebSocket session that ended other than by the bot's normal
close, with the REST calls' server errors around it.

A drop is the exchange's when the exchange's REST API answered 5xx (``server_error`` or ``upstream_error``)
within ``within`` of it, in the same market: the feed and the API went down together. Otherwise the side
follows who closed (:func:`toolkit.ws_sessions`): the exchange's close frame (a restart, 1012; going away,
1001) is the exchange's; a connection lost without a close frame is the network's; the bot's own close is the
client's; where the recording cannot tell who closed, ``unknown``. The sides are those of
:func:`toolkit.explain_incidents` (:data:`toolkit.analysis.SIDES`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import STRING
from ..selection import as_duration, require, select
from .websocket import ws_sessions

__all__ = ["DROP_COLUMNS", "feed_drops"]

#: Columns of :func:`feed_drops`.
DROP_COLUMNS = ["connection", "market", "bot", "closed", "close_code", "closed_by", "rest_5xx", "side"]

_FIVE = ("server_error", "upstream_error")
_BY_SIDE = {"server": "exchange", "network": "network", "client": "client", "unknown": "unknown"}


def feed_drops(ws: pd.DataFrame, calls: pd.DataFrame | None = None, *, start=None, end=None, market=None, bot=None,
               within=defaults.WS_DROP_WITHIN) -> pd.DataFrame:
    """Feed drops and whose fault each was.

    Parameters
    ----------
    ws : DataFrame
        :attr:`toolkit.Load.websocket`.
    calls : DataFrame, optional
        The REST calls (:func:`toolkit.load_logs`); their 5xx within ``within`` of a drop, in its market, make it
        the exchange's.
    start, end, market, bot
        Keep these sessions.
    within : str or Timedelta
        How close a REST 5xx must be to the drop.

    Returns
    -------
    DataFrame
        :data:`DROP_COLUMNS`: every session that closed with a code other than 1000 or was closed by the
        server or the network, ``rest_5xx`` the REST server errors near it, ``side``.

    Examples
    --------
    >>> import pandas as pd, toolkit
    >>> from toolkit.analysis.feeds import feed_drops
    >>> ws = toolkit.read_logs("tests/data/websocket/websockets-spot.log").websocket
    >>> feed_drops(ws)[["close_code", "closed_by", "side"]].values.tolist()
    [[1012, 'server', 'exchange'], [1006, 'network', 'network']]
    >>> calls = pd.DataFrame({"ts": pd.to_datetime(["2026-03-02 08:18:30"], utc=True), "market": ["spot"],
    ...                       "category": ["server_error"]})
    >>> feed_drops(ws, calls)[["close_code", "rest_5xx", "side"]].values.tolist()
    [[1012, 0, 'exchange'], [1006, 1, 'exchange']]
    """
    gap = as_duration(within, "within", "feed_drops")
    sessions = ws_sessions(ws, start=start, end=end, market=market, bot=bot)
    if len(sessions):
        code = sessions["close_code"]
        dropped = (code.notna() & (code != 1000)).fillna(False) | sessions["closed_by"].isin(["server", "network"])
        sessions = sessions[dropped.to_numpy(bool) & sessions["closed"].notna().to_numpy()]
    near = np.zeros(len(sessions), np.int64)
    if calls is not None and len(sessions):
        require(calls, ["ts", "market", "category"], "feed_drops")
        five = select(calls, bot=bot, func="feed_drops")
        five = five[five["category"].astype(object).isin(_FIVE).to_numpy()]
        for i, (t, m) in enumerate(zip(sessions["closed"], sessions["market"])):
            mine = five["ts"][(five["market"].astype(object) == m).to_numpy()]
            near[i] = int(((mine >= t - pd.Timedelta(gap)) & (mine <= t + pd.Timedelta(gap))).sum())
    side = [("exchange" if n else _BY_SIDE[b]) for n, b in zip(near, sessions["closed_by"])]
    out = sessions[["connection", "market", "bot", "closed", "close_code", "closed_by"]].reset_index(drop=True)
    out["rest_5xx"] = near
    out["side"] = pd.array(side, dtype=STRING)
    return out[DROP_COLUMNS]
