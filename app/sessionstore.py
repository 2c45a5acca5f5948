"""The session store seen through one guard: no session for health probes, a clear 503
when the store (Redis, or the database) is down.

Flask opens the session before any view or error handler runs. If the store
cannot be reached there, Flask has no session at all and even its error page
fails. The guard gives such a request Flask's null session (nothing is read,
written or sent as a cookie) and the request ends in the translated "temporarily
unavailable" page; the next request tries the store again, so the portal
recovers by itself when the store returns, without a restart.
"""

from __future__ import annotations

import redis
from flask import Flask, request
from flask.sessions import SessionInterface
from sqlalchemy.exc import SQLAlchemyError

from app.health import PATHS as HEALTH_PATHS

#: What a store that is down raises.
STORE_ERRORS = (redis.RedisError, SQLAlchemyError)
_DOWN = "selfie.session_store_down"


class SessionStoreUnavailable(Exception):
    """The session store could not be reached; the customer sees a 503 page."""


class GuardedSessions(SessionInterface):
    """Wraps the app's session interface (Flask-Session's); everything else is passed on."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # regenerate() and Flask-Session's other extras

    def open_session(self, app, request):
        if request.path in HEALTH_PATHS:
            return self.make_null_session(app)
        try:
            return self.inner.open_session(app, request)
        except STORE_ERRORS as error:
            app.logger.error("session store unavailable: %s", type(error).__name__)
            request.environ[_DOWN] = True
            return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        try:
            return self.inner.save_session(app, session, response)
        except STORE_ERRORS as error:
            raise SessionStoreUnavailable(type(error).__name__) from error


def _refuse_without_store() -> None:
    if request.environ.get(_DOWN):
        raise SessionStoreUnavailable("session store unavailable at the start of the request")


def register(app: Flask) -> None:
    """Guard the session interface Flask-Session installed; refuse requests without a store."""
    from app.web import render_error

    app.session_interface = GuardedSessions(app.session_interface)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_without_store)

    def unavailable(error: SessionStoreUnavailable):
        _drain_body()
        return render_error(503)

    app.register_error_handler(SessionStoreUnavailable, unavailable)


def _drain_body(limit: int = 1 << 20) -> None:
    """Read a small unread request body before answering early.

    A server that closes the connection with the body still unread makes the
    kernel reset it, and the browser may then show a network error instead of
    the 503 page.
    """
    if (request.content_length or 0) <= limit:
        request.get_data(cache=False)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether an error means "a backing server is away" (a 503), not a bug (a 500)."""
    return isinstance(error, (SessionStoreUnavailable, *STORE_ERRORS))
