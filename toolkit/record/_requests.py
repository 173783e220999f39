"""Recording a ``requests.Session``: its transport adapters are wrapped, so every exchange the session makes
(redirect hops included) is recorded, and written before the call returns."""

from __future__ import annotations

from ._core import Recorder, Settings, elapsed_ms, start


def attach(session, settings: Settings):
    """Record ``session`` (a ``requests.Session``) with ``settings``, checked already; returns the session."""
    recorder = Recorder.open(settings)
    get_adapter, close = session.get_adapter, session.close

    def recording_get_adapter(url):
        return _RecordingAdapter(get_adapter(url), recorder)

    def recording_close():
        try:
            close()
        finally:
            recorder.release()

    session.get_adapter = recording_get_adapter
    session.close = recording_close
    session._toolkit_recorder = recorder
    return session


class _RecordingAdapter:
    """Stands in for the session's transport adapter for one call: sends, then records."""

    __slots__ = ("_adapter", "_recorder")

    def __init__(self, adapter, recorder):
        self._adapter = adapter
        self._recorder = recorder

    def send(self, request, **kwargs):
        started, clock = start()
        stream = bool(kwargs.get("stream"))
        try:
            response = self._adapter.send(request, **kwargs)
            if not stream:
                response.content  # what Session.send would read next; failures here are the call's
        except Exception as exc:
            self._record(request, started, clock, None, exc, False)
            raise
        self._record(request, started, clock, response, None, stream)
        return response

    def _record(self, request, started, clock, response, exc, streamed):
        """Hand the call to the recorder; responses read with ``stream=True`` are recorded without their body."""
        self._recorder.record(request.method, request.url or "", request.headers, request.body, started,
                              elapsed_ms(clock), None if response is None else response.status_code,
                              None if response is None else response.headers,
                              None if response is None or streamed else response.content, exc)

    def close(self):
        self._adapter.close()

    def __getattr__(self, name):
        return getattr(self._adapter, name)
