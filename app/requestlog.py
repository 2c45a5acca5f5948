"""One log line per request: request id, method, path (no query), status, duration.

The line is written by WSGI middleware around the whole app, so a request
that fails anywhere (even before Flask has a session) is still logged once.
The request id comes from the proxy's ``X-Request-ID`` when it looks like an
id, otherwise it is made here; it is sent back in ``X-Request-ID`` and shown
on error pages, so customer service can find the case in the log. Query
strings are never logged (they carry OIDC codes and states), and a path is
masked like every other log text (no identity code reaches the log).

``SELFIE_LOG_FORMAT=json`` writes every log line as one JSON object.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, request

from app.health import PATHS as HEALTH_PATHS
from app.services.identity_codes import mask

logger = logging.getLogger("selfie.requests")
ENVIRON_KEY = "selfie.request_id"
#: An incoming id is used only if it is short and plain: no spaces, quotes or control characters.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
LOG_FORMATS = ("text", "json")
#: Paths that carry a credential (a staff member's one-time set-up link): logged without it.
SECRET_PATH = re.compile(r"^(/staff/setup/)[^/]+")


def request_id(environ: dict) -> str:
    """The proxy's id when sane, otherwise a new random one."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if SANE_ID.fullmatch(incoming) else secrets.token_hex(8)


def current_request_id() -> str | None:
    """For templates and error pages: this request's id."""
    return request.environ.get(ENVIRON_KEY) if request else None


def _clean_path(environ: dict) -> str:
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    text = raw.encode("latin-1", "replace").decode("utf-8", "replace")
    return mask(SECRET_PATH.sub(r"\1…", UNPRINTABLE.sub("?", text)))[:500]


class RequestLog:
    """WSGI middleware: assigns the request id and logs the request when it has been answered."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        rid = request_id(environ)
        environ[ENVIRON_KEY] = rid
        started = time.perf_counter()
        answered = {"status": 500}

        def start(status: str, headers: list, exc_info=None):
            answered["status"] = int(status.split(" ", 1)[0])
            headers.append(("X-Request-ID", rid))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            self._log(environ, rid, answered["status"], time.perf_counter() - started)

    @staticmethod
    def _log(environ: dict, rid: str, status: int, seconds: float) -> None:
        path = _clean_path(environ)
        method = UNPRINTABLE.sub("?", environ.get("REQUEST_METHOD", "-"))[:16]
        fields = {
            "request_id": rid,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        }
        level = logging.DEBUG if path in HEALTH_PATHS and status == 200 else logging.INFO
        logger.log(
            level,
            "%s %s %s %s %.1fms",
            rid, method, path, status, fields["duration_ms"],
            extra={"request": fields},
        )  # fmt: skip


class JsonLines(logging.Formatter):
    """Every record as one JSON object; a request line carries its fields as keys."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "request", {}),
        }
        if record.exc_info:
            line["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def choose_format(app: Flask) -> None:
    """Text or JSON lines, chosen before anything else logs (the broker logs at start-up)."""
    log_format = str(app.config["LOG_FORMAT"])
    if log_format not in LOG_FORMATS:
        from app.settings import InvalidSettingError

        raise InvalidSettingError(
            f"Selfie cannot start: SELFIE_LOG_FORMAT must be one of "
            f"{', '.join(LOG_FORMATS)}, not {log_format!r}"
        )
    logger.setLevel(logging.DEBUG if app.debug else logging.INFO)
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler:  # the portal's own, not a test harness's
                handler.setFormatter(JsonLines())


def register(app: Flask) -> None:
    """Wrap the app in the request log (outermost)."""
    app.wsgi_app = RequestLog(app.wsgi_app)
    app.jinja_env.globals["request_id"] = current_request_id
