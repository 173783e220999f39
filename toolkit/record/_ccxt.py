"""Recording a ccxt exchange through its HTTP session: the ``requests.Session`` of ``ccxt``, or for
``ccxt.async_support`` the ``aiohttp.ClientSession`` it creates in ``open()``, now or whenever it creates a new
one."""

from __future__ import annotations

from ._core import Settings


def attach(exchange, settings: Settings, record_session):
    """Record ``exchange`` with ``settings``, checked already; returns the exchange.

    ``record_session(session, settings)`` records the exchange's HTTP session, whichever client it is (the
    dispatch of :func:`toolkit.attach_recorder`, handed down so that no adapter imports it).
    """
    state = {"session": None}

    def attach_session():
        session = getattr(exchange, "session", None)
        if session is not None and session is not state["session"] and \
                getattr(session, "_toolkit_recorder", None) is None:
            record_session(session, settings)
            state["session"] = session

    attach_session()
    if callable(getattr(exchange, "open", None)):  # ccxt.async_support creates its aiohttp session in open()
        opener = exchange.open

        def recording_open(*args, **kwargs):
            result = opener(*args, **kwargs)
            attach_session()
            return result

        exchange.open = recording_open
    exchange._toolkit_recorder = _CcxtHandle(settings.path, state)
    return exchange


class _CcxtHandle:
    """What ``exchange._toolkit_recorder`` holds: the file and the session being recorded."""

    def __init__(self, path, state):
        self._path, self._state = path, state

    @property
    def writer(self):
        session = self._state["session"]
        return session._toolkit_recorder.writer if session is not None else _PathOnly(self._path)


class _PathOnly:
    def __init__(self, path):
        self.path = path
