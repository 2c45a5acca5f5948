"""ASVS V7.1 and V8.3 (logs and sensitive data): personal identity codes stay
out of logs, pages, URLs and the audit trail.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import logging
import sys

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent
from app.security import IdentityCodeFilter
from tests.conftest import (
    PERSONS,
    Registration,
    audit_events,
    code_leaks,
    english_client,
)
from tests.support.security import (
    NEW_PASSWORD,
    PASSWORD,
    WRONG,
    Recorder,
    account_count,
    login,
)

# -- 9. personal identity codes stay out of logs, pages, URLs and the audit trail ---------------
ANNA_CODE = PERSONS["anna.andersson"].code


@pytest.fixture
def every_log_record(app, caplog, monkeypatch):
    """caplog at DEBUG with every logger switched on.

    Building the app runs the migrations, and Alembic's ``fileConfig`` in
    migrations/env.py disables every logger that existed before (the app's
    and Werkzeug's included); switched back on here so that nothing escapes
    the search.
    """
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and logger.disabled:
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog) -> list[str]:
    formatter = logging.Formatter()
    return [formatter.format(record) for record in caplog.records]


def stored_texts(app) -> list[str]:
    """The audit trail and the stored sessions, as text."""
    with app.app_context():
        rows = [
            " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
            for event in db.session.scalars(select(AuditEvent))
        ]
        blobs = db.session.execute(text("SELECT data FROM sessions")).scalars()
        rows += [bytes(blob).decode("latin-1") for blob in blobs]
        return rows


def test_the_whole_registration_leaves_no_code_anywhere(app, client, oidc_issuer, every_log_record):
    from tests.conftest import set_person_claims

    seen = Recorder(client)
    walk = Registration(client)
    for sub in PERSONS:
        walk.register(sub, f"{sub}@example.fi", PASSWORD)
        client.get("/account/details")
        client.get("/account/services")
        client.post("/logout")
        login(client, f"{sub}@example.fi", WRONG)
        login(client, f"{sub}@example.fi", PASSWORD)
        client.post("/logout")
    walk.accept_terms()
    walk.identify("anna.andersson")  # registered already: the new-password step
    client.post("/register/existing", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/logout")
    broken = ANNA_CODE[:-1] + ("X" if ANNA_CODE[-1] != "X" else "Y")  # a bad checksum
    set_person_claims(oidc_issuer, "broken.anna", {"hetu": broken})
    walk.accept_terms()
    walk.identify("broken.anna")
    client.get("/register/")
    assert account_count(app) == len(PERSONS)
    assert len(every_log_record.records) > 0
    codes = [p.code for p in PERSONS.values()] + [broken]
    texts = seen.texts + logged(every_log_record) + stored_texts(app)
    assert code_leaks(texts, codes) == []


def test_a_refused_import_names_the_rows_but_never_the_codes(app, tmp_path, every_log_record):
    from app.services.customers.importer import CUSTOMER_COLUMNS, SERVICE_COLUMNS

    matti = PERSONS["matti.virtanen"].code
    bad_checksum = ANNA_CODE[:-1] + ("X" if ANNA_CODE[-1] != "X" else "Y")
    rows = [
        ",".join(CUSTOMER_COLUMNS),
        f"100001,{bad_checksum},Anna Andersson,Storgatan 1,65100,Vasa,anna@example.fi,050 1",
        f"100002,{matti},,Kauppatori 2,65100,Vaasa,matti@example.fi,050 2",
        f"100003,{matti}-9,Matti Virtanen,Kauppatori 2,65100,Vaasa,matti@example.fi,050 3",
    ]
    customers = tmp_path / "customers.csv"
    customers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    services = tmp_path / "services.csv"
    services.write_text(",".join(SERVICE_COLUMNS) + "\n", encoding="utf-8")
    command = ["customers", "import", str(customers), str(services)]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0
    assert "customers.csv:2" in result.output and "nothing was imported" in result.output
    texts = [result.output, *logged(every_log_record), *stored_texts(app)]
    assert code_leaks(texts, [bad_checksum, matti]) == []


def test_an_exception_report_masks_the_code(app, every_log_record):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # report it as in production, not re-raise

    @app.get("/boom")
    def boom():
        raise LookupError(f"no customer for {ANNA_CODE}")

    response = english_client(app).get("/boom")
    assert response.status_code == 500
    assert code_leaks([response.text], [ANNA_CODE]) == []
    report = "\n".join(logged(every_log_record))
    assert "LookupError: no customer for 150385-****" in report
    assert code_leaks([report], [ANNA_CODE]) == []


def test_a_code_typed_as_the_username_stays_out_of_the_audit_trail(app, client):
    login(client, ANNA_CODE, WRONG, headers={"User-Agent": f"Browser {ANNA_CODE}"})
    assert audit_events(app, "login_failed")
    assert code_leaks(stored_texts(app), [ANNA_CODE]) == []


def record(msg, args=(), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("selfie.test", logging.INFO, __file__, 1, msg, args, exc_info)


def formatted(item: logging.LogRecord) -> str:
    assert IdentityCodeFilter().filter(item) is True
    return logging.Formatter().format(item)


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        pytest.param(f"customer {ANNA_CODE} logged in", (), id="in-the-message"),
        pytest.param("customer %s logged in", (ANNA_CODE,), id="as-an-argument"),
        pytest.param("customer %(code)s logged in", ({"code": ANNA_CODE},), id="as-a-mapping"),
        pytest.param("customer %s logged in", (ANNA_CODE.lower(),), id="lower-case"),
    ],
)
def test_the_log_filter_masks_codes_in_messages_and_arguments(msg, args):
    output = formatted(record(msg, args))
    assert output == "customer 150385-**** logged in"


def exception_with(message: str):
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_the_log_filter_masks_codes_in_exception_reports():
    item = record("import of %s failed", ("customers.csv",), exception_with(f"bad {ANNA_CODE}"))
    output = formatted(item)
    assert output.startswith("import of customers.csv failed\nTraceback")
    assert "ValueError: bad 150385-****" in output
    assert code_leaks([output], [ANNA_CODE]) == []


def test_the_log_filter_keeps_percent_signs_in_a_masked_exception_intact():
    item = record("row %s", (3,), exception_with(f"100% sure {ANNA_CODE} %s"))
    output = formatted(item)
    assert "ValueError: 100% sure 150385-**** %s" in output


def test_the_log_filter_leaves_a_record_without_codes_alone():
    exc_info = exception_with("nothing personal")
    item = record("row %s of %s", (3, "customers.csv"), exc_info)
    IdentityCodeFilter().filter(item)
    assert (item.msg, item.args, item.exc_info) == ("row %s of %s", (3, "customers.csv"), exc_info)


def test_a_broken_logging_call_is_masked_and_does_not_raise():
    output = formatted(record("%s logged in from %s", (ANNA_CODE,)))
    assert "150385-****" in output
    assert code_leaks([output], [ANNA_CODE]) == []


def test_the_log_filter_masks_a_stack():
    item = record("lookup")
    item.stack_info = f'Stack (most recent call last):\n  lookup("{ANNA_CODE}")'
    assert code_leaks([formatted(item)], [ANNA_CODE]) == []


def test_records_of_any_logger_reach_any_handler_masked(app):
    """Even a handler configured after the app (Alembic's, gunicorn's) never sees a code."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    library = logging.getLogger("some.library.configured.later")
    library.addHandler(handler)
    try:
        library.warning("claims: {'hetu': '%s'}", ANNA_CODE)
    finally:
        library.removeHandler(handler)
    assert stream.getvalue() == "claims: {'hetu': '150385-****'}\n"
