"""Server-side sessions only once there is something worth storing.

A visitor who only reads (the front page, the login form, the terms) still
needs a CSRF secret for the forms on those pages, and may get a flashed
message. Neither is worth a row in the sessions table or a key in Redis:
anyone could fill the store by reloading the login page. Until the session
holds anything else, its few "light" keys travel in a signed (HMAC with
``SECRET_KEY``), HttpOnly cookie instead, as Flask's own cookie sessions do.
The first state-changing step (login, identification, accepting the terms)
adds a key outside that list, and from then on the session is stored
server-side under a random id, exactly as before; the light cookie is
removed. A stored session that is emptied again (logout) is deleted from the
store, and what light keys remain go back into the cookie.

A stored session is not rewritten on every request either: Flask-Session's
``SESSION_REFRESH_EACH_REQUEST`` is off and ``touch`` (a ``before_request``
hook) marks it modified at most once per ``REFRESH_SECONDS``, which renews
the stored expiry and the cookie. The idle timeout therefore ends a session
between ``SESSION_IDLE_MINUTES`` minus one minute and ``SESSION_IDLE_MINUTES``
after the last request.
"""

from __future__ import annotations

import random
import time

from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSessionInterface, SessionInterface

#: Keys a session may hold while it lives in the signed cookie alone.
LIGHT_KEYS = frozenset({"csrf_token", "_flashes", "_permanent"})
#: A stored session's expiry is renewed at most this often (seconds).
REFRESH_SECONDS = 60
SEEN_KEY = "_seen"
#: On average every this many writes of a stored session, expired rows are removed.
CLEANUP_EVERY = 200


class _CookieCodec(SecureCookieSessionInterface):
    """Flask's own signed-cookie serializer, under a salt of its own."""

    salt = "selfie-light-session"


class LightSessionInterface(SessionInterface):
    """Wraps Flask-Session's interface: the signed cookie first, the store when needed."""

    def __init__(self, inner: SessionInterface, cleanup: bool) -> None:
        self.inner = inner
        self.cleanup = cleanup
        self.codec = _CookieCodec()

    def regenerate(self, session) -> None:  # noqa: ANN001 - Flask-Session's API
        self.inner.regenerate(session)

    @staticmethod
    def light_cookie_name(app: Flask) -> str:
        return app.config["SESSION_COOKIE_NAME"] + "_light"

    def open_session(self, app: Flask, request: Request):  # noqa: ANN201
        current = self.inner.open_session(app, request)
        current.stored = request.cookies.get(app.config["SESSION_COOKIE_NAME"]) == current.sid
        if not current.stored:
            raw = request.cookies.get(self.light_cookie_name(app))
            serializer = self.codec.get_signing_serializer(app)
            if raw and serializer is not None:
                try:
                    data = serializer.loads(
                        raw, max_age=int(app.permanent_session_lifetime.total_seconds())
                    )
                except Exception:  # noqa: BLE001 - a bad or old cookie is simply ignored
                    data = {}
                current.update({k: v for k, v in data.items() if k in LIGHT_KEYS})
                current.modified = False
        return current

    def save_session(self, app: Flask, session, response: Response) -> None:  # noqa: ANN001
        light_name = self.light_cookie_name(app)
        had_light = light_name in _request_cookies()
        if any(key not in LIGHT_KEYS for key in session):
            if session.modified:  # written anyway: that write renews the expiry too
                session[SEEN_KEY] = int(now())
                if self.cleanup and random.randrange(CLEANUP_EVERY) == 0:  # noqa: S311 - not a secret
                    self.inner._delete_expired_sessions()
            self.inner.save_session(app, session, response)
            if had_light:
                self._delete_cookie(app, response, light_name)
            return
        if session.stored:  # emptied of everything worth storing: out of the store
            self.inner._delete_session(self.inner._get_store_id(session.sid))
            self._delete_cookie(app, response, app.config["SESSION_COOKIE_NAME"])
        if not session.modified and not session.stored:
            if session.accessed:
                response.vary.add("Cookie")
            return
        response.vary.add("Cookie")
        if not session:
            if had_light:
                self._delete_cookie(app, response, light_name)
            return
        value = self.codec.get_signing_serializer(app).dumps(dict(session))
        response.set_cookie(
            light_name,
            value,
            expires=self.get_expiration_time(app, session),
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
        )

    def _delete_cookie(self, app: Flask, response: Response, name: str) -> None:
        response.delete_cookie(
            name,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite=self.get_cookie_samesite(app),
        )


def _request_cookies():  # noqa: ANN202
    from flask import request

    return request.cookies


def now() -> float:
    """The clock ``touch`` reads (a function, so a test can move it with the store's)."""
    return time.time()


def touch() -> None:
    """Renew a stored session's expiry (idle timeout) at most once a minute."""
    if not getattr(session, "stored", False):
        return
    seconds = int(now())
    if seconds - int(session.get(SEEN_KEY, 0)) >= REFRESH_SECONDS:
        session[SEEN_KEY] = seconds


def install(app: Flask) -> None:
    """Wrap the interface Flask-Session chose (call after ``Session.init_app``)."""
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    cleanup = app.config.get("SESSION_TYPE") == "sqlalchemy"
    app.session_interface = LightSessionInterface(app.session_interface, cleanup)
    app.before_request(touch)
