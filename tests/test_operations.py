"""Operations at the Flask-client level: catalogue check at start-up, health endpoints,
the request log and the request id on error pages."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.requestlog import JsonLines
from app.resources import TRANSLATIONS, CatalogueError, static_version
from app.settings import InvalidSettingError
from tests.conftest import english_client, make_app
from tests.support.servers import REPOSITORY, free_port

CODE = "131052-308T"


# -- catalogues -------------------------------------------------------------------------
@pytest.fixture
def catalogues(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy)
    return copy


def test_current_catalogues_start_the_portal(settings, catalogues):
    create_app(settings | {"BABEL_TRANSLATION_DIRECTORIES": str(catalogues)})


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_portal_refuses_to_start_naming_a_language_whose_catalogue_is_missing(
    settings, catalogues, language
):
    (catalogues / language / "LC_MESSAGES" / "messages.mo").unlink()
    with pytest.raises(CatalogueError, match=rf"\({language}\) catalogue is missing") as error:
        create_app(settings | {"BABEL_TRANSLATION_DIRECTORIES": str(catalogues)})
    assert error.value.language == language


def test_the_portal_refuses_to_start_when_a_catalogue_is_older_than_its_source(
    settings, catalogues
):
    mo = catalogues / "fi" / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    os.utime(po, (mo.stat().st_atime, mo.stat().st_mtime + 60))
    with pytest.raises(CatalogueError, match=r"Suomi \(fi\) catalogue is older than"):
        create_app(settings | {"BABEL_TRANSLATION_DIRECTORIES": str(catalogues)})


# -- health ------------------------------------------------------------------------------
def session_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM sessions"))


def test_healthz_answers_without_a_session_or_a_cookie(app):
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert session_rows(app) == 0


def test_readyz_checks_database_broker_and_catalogues(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "catalogues": "ok"},
    }
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_redis_when_it_is_configured(settings, redis_url):
    app = make_app(settings | {"REDIS_URL": redis_url})
    assert app.test_client().get("/readyz").json["checks"]["redis"] == "ok"


def test_readyz_reports_an_unreachable_broker_without_details(settings):
    port = free_port()
    app = make_app(settings | {"OIDC_ISSUER": f"http://127.0.0.1:{port}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "broker": "failed", "catalogues": "ok"}
    assert str(port) not in response.text and "127.0.0.1" not in response.text


def test_readyz_reports_a_missing_catalogue(settings, catalogues):
    app = make_app(settings | {"BABEL_TRANSLATION_DIRECTORIES": str(catalogues)})
    (catalogues / "sv" / "LC_MESSAGES" / "messages.mo").unlink()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["catalogues"] == "failed"


def test_health_endpoints_are_not_rate_limited(settings):
    app = make_app(settings | {"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "3 per minute"})
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(10)} == {200}
    assert {client.get("/readyz").status_code for _ in range(10)} == {200}
    assert 429 in {client.get("/").status_code for _ in range(10)}  # the default limit is on


# -- the request log ---------------------------------------------------------------------
def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "selfie.requests"]


def test_one_line_per_request_with_id_method_path_status_and_duration(app, caplog):
    caplog.set_level(logging.INFO, logger="selfie.requests")
    response = english_client(app).get("/terms/?state=secret-state&code=abc")
    (record,) = request_lines(caplog)
    fields = record.request
    assert fields["method"] == "GET" and fields["path"] == "/terms/"
    assert fields["status"] == 200 and fields["duration_ms"] >= 0
    assert fields["request_id"] == response.headers["X-Request-ID"]
    assert "secret-state" not in record.getMessage() and "?" not in record.getMessage()
    assert record.getMessage().startswith(f"{fields['request_id']} GET /terms/ 200 ")


def test_a_sane_incoming_request_id_is_kept(app, caplog):
    caplog.set_level(logging.INFO, logger="selfie.requests")
    response = app.test_client().get("/", headers={"X-Request-ID": "0f1e2d3c4b5a69788796a5b4"})
    assert response.headers["X-Request-ID"] == "0f1e2d3c4b5a69788796a5b4"
    assert request_lines(caplog)[0].request["request_id"] == "0f1e2d3c4b5a69788796a5b4"


@pytest.mark.parametrize(
    "incoming",
    ["short", "has space in it", "x" * 65, "abc\ndef-injected-line", '"quoted-value"', "ä" * 10],
)
def test_an_insane_incoming_request_id_is_replaced(app, incoming):
    # Through the environ: a test client refuses to send some of these as headers at all.
    response = app.test_client().get("/", environ_overrides={"HTTP_X_REQUEST_ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert len(response.headers["X-Request-ID"]) == 16


def test_health_probes_log_only_at_debug_level(app, caplog):
    caplog.set_level(logging.INFO, logger="selfie.requests")
    app.test_client().get("/healthz")
    assert request_lines(caplog) == []


def test_an_identity_code_in_a_path_is_masked_in_the_log(app, caplog):
    caplog.set_level(logging.INFO, logger="selfie.requests")
    app.test_client().get(f"/account/{CODE}")
    (record,) = request_lines(caplog)
    assert CODE not in record.getMessage() and CODE not in json.dumps(record.request)
    assert "131052-****" in record.request["path"]


def test_a_control_character_in_a_path_cannot_forge_a_log_line(app, caplog):
    caplog.set_level(logging.INFO, logger="selfie.requests")
    app.test_client().get("/x%0Afake 200 line")
    (record,) = request_lines(caplog)
    assert "\n" not in record.getMessage()


def test_json_lines_carry_the_request_fields():
    record = logging.LogRecord("selfie.requests", logging.INFO, __file__, 1, "m %s", ("x",), None)
    record.request = {"request_id": "abc", "method": "GET", "path": "/", "status": 200}
    line = json.loads(JsonLines().format(record))
    assert line["message"] == "m x" and line["request_id"] == "abc" and line["status"] == 200
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_the_json_option_writes_every_line_as_json(tmp_path):
    program = (
        "from app import create_app\napp = create_app()\napp.test_client().get('/terms/?x=1')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELFIE_")} | {
        "SELFIE_ENV": "development",
        "SELFIE_SECRET_KEY": "s",
        "SELFIE_IDENTITY_KEY": "k",
        "SELFIE_LOG_FORMAT": "json",
        "SELFIE_INSTANCE_PATH": str(tmp_path),
        "SELFIE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run([sys.executable, "-c", program], cwd=REPOSITORY, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    request = [line for line in lines if line["logger"] == "selfie.requests"]
    assert request and request[0]["path"] == "/terms/" and request[0]["method"] == "GET"


def test_an_unknown_log_format_refuses_to_start(settings):
    with pytest.raises(InvalidSettingError, match="SELFIE_LOG_FORMAT"):
        create_app(settings | {"LOG_FORMAT": "xml"})


# -- error pages -------------------------------------------------------------------------
def test_a_translated_error_page_names_the_request_id(app):
    client = app.test_client()
    client.set_cookie("selfie_lang", "sv")
    response = client.get("/no-such-page", headers={"X-Request-ID": "case-4711-abcdef"})
    assert response.status_code == 404
    assert "uppge den här referensen: case-4711-abcdef" in response.text


def test_a_failure_shows_the_request_id_and_no_stack_trace(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not a raise

    def broken():
        raise RuntimeError("internal detail the customer must not see")

    app.add_url_rule("/broken", "broken", broken)
    response = english_client(app).get("/broken")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "internal detail" not in response.text
    assert f"give this reference: {response.headers['X-Request-ID']}" in response.text
    assert "internal detail the customer must not see" in caplog.text  # but in the log


# -- static files and gunicorn -------------------------------------------------------------
def test_static_urls_carry_a_content_version_for_long_caching(client):
    page = client.get("/").text
    version = static_version()
    assert f'href="/static/css/selfie.css?v={version}"' in page
    assert len(version) == 12
    with client.get(f"/static/css/selfie.css?v={version}") as response:
        assert response.status_code == 200


def test_the_gunicorn_config_scales_workers_with_cores_and_trusts_only_loopback(monkeypatch):
    import importlib

    from app import gunicorn_config

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    config = importlib.reload(gunicorn_config)
    assert config.workers == 9
    assert config.forwarded_allow_ips == "127.0.0.1,::1"
    assert config.timeout > 10  # above the broker's default timeout
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert importlib.reload(gunicorn_config).workers == 3
