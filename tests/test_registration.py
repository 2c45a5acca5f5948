"""Create a username through the Flask client against oidc-provider-mock over HTTP."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import flask
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditEvent
from app.services.identification.settings import BrokerMisconfigured, check_issuer
from app.web.registration.state import IDENTIFIED_MAX_AGE_SECONDS, KEY
from tests.conftest import PERSONS, code_leaks, english_client, refused_by, set_person_claims
from tests.support.security import account_count

PASSWORD = "correct horse battery"


def only_account(app) -> Account:
    with app.app_context():
        account = db.session.scalar(select(Account))
        db.session.expunge(account)
        return account


def flashed(client) -> str:
    return client.get("/register/").text


# -- the happy path --------------------------------------------------------------
def test_terms_then_identification_then_account_signs_the_customer_in(app, registration, client):
    client.set_cookie("selfie_lang", "sv")
    assert registration.accept_terms().headers["Location"].endswith("/register/")
    callback = registration.identify("anna.andersson")
    assert callback.headers["Location"].endswith("/register/account")
    response = registration.create_account("Anna.Andersson@Example.FI")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/services")
    page = client.get("/account/services")
    assert page.status_code == 200
    assert (
        "Nu har du skapat ett användarnamn i Selfie och kan administrera dina tjänster" in page.text
    )
    account = only_account(app)
    assert account.username == "anna.andersson@example.fi"
    assert account.password_hash.startswith("$argon2id$")
    assert account.birth_date_part == "150385"
    assert account.terms_version and account.terms_accepted_at is not None


def test_the_account_stores_a_keyed_hash_never_the_code(app, registration):
    registration.register("anna.andersson", "anna@example.fi")
    account = only_account(app)
    code = PERSONS["anna.andersson"].code
    stored = " ".join(str(getattr(account, c.name)) for c in Account.__table__.columns)
    assert code_leaks([stored], [code]) == []
    assert len(account.identity_ref) == 64


def test_authorization_request_uses_pkce_state_nonce_and_the_active_language(registration, client):
    registration.accept_terms()
    client.set_cookie("selfie_lang", "fi")
    query = parse_qs(urlsplit(registration.start_identification("mobile")).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["ui_locales"] == ["fi"]
    assert query["acr_values"] == ["http://ftn.ficora.fi/2017/loa3"]
    assert "code_verifier" not in query


def test_identification_rotates_the_session_id(registration, client):
    registration.accept_terms()
    before = client.get_cookie("selfie_session").value
    registration.identify("anna.andersson")
    assert client.get_cookie("selfie_session").value != before


def test_account_creation_rotates_the_session_id_again(registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    before = client.get_cookie("selfie_session").value
    registration.create_account("anna@example.fi")
    assert client.get_cookie("selfie_session").value != before


# -- steps out of order --------------------------------------------------------------
def test_identification_before_terms_goes_back_to_the_first_step(client):
    response = client.post("/register/identify", data={"method": "bank"})
    assert response.status_code == 303
    assert "Please read and accept the terms of use first." in flashed(client)


@pytest.mark.parametrize("path", ["/register/account", "/register/existing"])
def test_choosing_a_username_without_identification_goes_back(registration, client, path):
    registration.accept_terms()
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register/")
    assert "Please identify yourself first." in flashed(client)


def test_an_unknown_method_is_refused_with_a_message(registration, client):
    registration.accept_terms()
    response = client.post("/register/identify", data={"method": "carrier-pigeon"})
    assert response.status_code == 303
    assert "Please choose an identification method." in flashed(client)


def test_identification_older_than_ten_minutes_must_be_repeated(app, registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    with client.session_transaction() as session:
        state = session[KEY]  # reassigned below: a stored session is saved when it changes
        state["identified_at"] = int(time.time()) - IDENTIFIED_MAX_AGE_SECONDS - 1
        session[KEY] = state
    response = registration.create_account("anna@example.fi")
    assert response.status_code == 303
    assert "More than 10 minutes passed" in flashed(client)
    assert account_count(app) == 0


def test_the_session_keeps_the_identification_as_plain_json_and_reads_it_back_typed(
    app, registration, client
):
    from app.services.identification import Identified
    from app.web.registration.state import RegistrationState

    registration.accept_terms()
    registration.identify("anna.andersson")
    with client.session_transaction() as session:
        stored = session[KEY]
        assert json.loads(json.dumps(stored)) == stored  # no objects in the store
        assert stored["pending"] is None  # spent by the callback
    with app.test_request_context():
        flask.session[KEY] = stored
        identified = RegistrationState.load().identified
    assert isinstance(identified, Identified)
    assert identified.birth_date_part == PERSONS["anna.andersson"].code[:6]


# -- bad answers from the broker --------------------------------------------------------------
def test_cancelling_at_the_broker_returns_to_the_methods_with_a_message(registration, client):
    registration.accept_terms()
    callback = registration.authorize_at_provider(
        registration.start_identification(), None, deny=True
    )
    response = client.get(callback)
    assert response.headers["Location"].endswith("/register/")
    page = flashed(client)
    assert "You cancelled the identification" in page
    assert "Choose an identification method" in page
    assert client.get("/register/account").status_code == 303


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        pytest.param(lambda q: q.replace("state=", "state=x"), "state", id="wrong-state"),
        pytest.param(
            lambda q: "&".join(p for p in q.split("&") if not p.startswith("state=")),
            "state",
            id="missing-state",
        ),
        pytest.param(lambda q: q.replace("code=", "code=x"), "token_refused", id="forged-code"),
    ],
)
def test_tampered_callbacks_are_refused_and_create_nothing(
    app, registration, client, tamper, check
):
    registration.accept_terms()
    callback = registration.authorize_at_provider(
        registration.start_identification(), "anna.andersson"
    )
    path, _, query = callback.partition("?")
    response = client.get(f"{path}?{tamper(query)}")
    assert response.status_code == 303
    assert "could not be verified" in flashed(client)
    assert client.get("/register/account").status_code == 303
    with app.app_context():
        failures = select(func.count()).where(AuditEvent.event == "identification_failed")
        assert db.session.scalar(failures) == 1
    assert refused_by(app) == check


def test_a_replayed_callback_is_refused(registration, client):
    registration.accept_terms()
    callback = registration.authorize_at_provider(
        registration.start_identification(), "anna.andersson"
    )
    assert client.get(callback).headers["Location"].endswith("/register/account")
    replay = client.get(callback)
    assert replay.headers["Location"].endswith("/register/")
    assert "already used" in flashed(client)


def test_a_callback_in_another_browser_session_is_refused(registration, app):
    registration.accept_terms()
    callback = registration.authorize_at_provider(
        registration.start_identification(), "anna.andersson"
    )
    stranger = english_client(app)
    response = stranger.get(callback)
    assert response.headers["Location"].endswith("/register/")
    assert "session had expired" in stranger.get("/register/").text
    assert stranger.get("/register/account").status_code == 303


@pytest.mark.parametrize(
    ("claims", "check"),
    [
        pytest.param({"given_name": "Ei", "family_name": "Koodia"}, "claim_missing", id="missing"),
        pytest.param({"hetu": "150385-9012"}, "claim_checksum", id="bad-checksum"),
        pytest.param({"hetu": "not a code"}, "claim_format", id="garbage"),
        pytest.param({"hetu": 150385}, "claim_missing", id="not-a-string"),
    ],
)
def test_a_missing_or_invalid_identity_claim_is_refused(
    app, registration, client, oidc_issuer, claims, check
):
    set_person_claims(oidc_issuer, "broken.person", claims)
    registration.accept_terms()
    response = registration.identify("broken.person")
    assert response.headers["Location"].endswith("/register/")
    assert "did not give us a valid personal identity code" in flashed(client)
    assert refused_by(app) == check
    assert client.get("/register/account").status_code == 303


def test_temporary_codes_are_refused_unless_allowed(app, settings, oidc_issuer):
    from tests.conftest import Registration, make_app

    app = make_app(settings | {"IDENTITY_ALLOW_TEMPORARY": False})
    client = english_client(app)
    registration = Registration(client)
    registration.accept_terms()
    registration.identify("anna.andersson")
    assert "did not give us a valid personal identity code" in client.get("/register/").text
    assert refused_by(app) == "claim_temporary"


def test_an_unreachable_broker_gives_a_friendly_page_and_writes_nothing(app, settings):
    from tests.conftest import Registration, make_app

    app = make_app(settings | {"OIDC_ISSUER": "http://127.0.0.1:9"})
    client = english_client(app)
    Registration(client).accept_terms()
    response = client.post("/register/identify", data={"method": "bank"})
    assert response.status_code == 503
    assert "Identification is temporarily unavailable" in response.text
    with client.session_transaction() as session:
        assert not session[KEY].get("pending")


@pytest.mark.parametrize(
    "issuer",
    ["http://broker.example.fi", "ftp://127.0.0.1", "http://10.0.0.1:8080", "broker.example.fi"],
)
def test_an_http_issuer_is_accepted_only_on_loopback(issuer):
    with pytest.raises(BrokerMisconfigured):
        check_issuer(issuer)


@pytest.mark.parametrize(
    "issuer", ["https://broker.example.fi", "http://localhost:9400", "http://127.0.0.1:9400"]
)
def test_https_and_loopback_issuers_are_accepted(issuer):
    check_issuer(issuer)


# -- choosing the username and password ---------------------------------------------------------
def test_a_racing_second_creation_for_the_same_person_is_refused(app):
    """Two requests past the form at once: the unique identity reference settles it."""
    from app.models import utcnow
    from app.services.accounts import service as accounts
    from app.services.identification import Identified

    identified = Identified("f" * 64, "150385", "Anna", "Andersson")

    def new(username):
        return accounts.NewAccount(identified, username, PASSWORD, "v1", utcnow(), "sv")

    with app.app_context():
        accounts.create_account(new("first@example.fi"))
        with pytest.raises(accounts.AlreadyRegistered):
            accounts.create_account(new("second@example.fi"))
    assert account_count(app) == 1


def test_terms_replaced_after_acceptance_must_be_accepted_again(
    app, registration, client, tmp_path
):
    from app.services.terms import publish

    registration.accept_terms()
    registration.identify("anna.andersson")
    texts = {}
    for language in ("sv", "fi", "en"):
        texts[language] = tmp_path / f"{language}.txt"
        texts[language].write_text("New terms.", encoding="utf-8")
    with app.app_context():
        publish("2027-01", texts)
    response = registration.create_account("anna@example.fi")
    assert response.headers["Location"].endswith("/register/")
    assert "have been updated" in client.get("/register/").text
    assert account_count(app) == 0
    registration.accept_terms()
    registration.identify("anna.andersson")
    assert registration.create_account("anna@example.fi").status_code == 303
    assert only_account(app).terms_version == "2027-01"


def test_a_new_password_may_not_be_the_username(registration, client):
    registration.register("anna.andersson", "anna.andersson@example.fi")
    registration.come_back_identified("anna.andersson")
    same = "anna.andersson@example.fi"
    response = client.post("/register/existing", data={"password": same, "confirm": same})
    assert response.status_code == 400
    assert "must not be your e-mail address" in response.text


def test_a_double_submit_creates_one_account(app, registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    first = registration.create_account("anna@example.fi")
    second = registration.create_account("anna@example.fi")
    assert first.status_code == 303 and second.status_code == 303
    assert account_count(app) == 1


def test_a_taken_username_is_a_message_on_the_form(app, registration, client):
    registration.register("anna.andersson", "shared@example.fi")
    client.post("/logout")
    registration.accept_terms()
    registration.identify("matti.virtanen")
    response = registration.create_account("SHARED@example.fi")
    assert response.status_code == 400
    assert "already in use as a username" in response.text
    assert account_count(app) == 1


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("", PASSWORD, PASSWORD, "Enter your e-mail address."),
        ("not-an-address", PASSWORD, PASSWORD, "Enter an e-mail address in the form"),
        ("anna@example.fi", "short pass", "short pass", "at least 12 characters"),
        ("anna@example.fi", "x" * 129, "x" * 129, "at most 128 characters"),
        ("anna@example.fi", "1q2w3e4r5t6y", "1q2w3e4r5t6y", "among the most common passwords"),
        (
            "anna.andersson@example.fi",
            "anna.andersson@example.fi",
            "anna.andersson@example.fi",
            "must not be your e-mail address",
        ),
        ("anna@example.fi", PASSWORD, PASSWORD + "!", "The passwords do not match."),
        ("anna@example.fi", "", "", "Enter a password."),
    ],
)
def test_bad_usernames_and_passwords_get_their_own_message(
    app, registration, client, username, password, confirm, message
):
    registration.accept_terms()
    registration.identify("anna.andersson")
    response = client.post(
        "/register/account",
        data={"username": username, "password": password, "confirm": confirm},
    )
    assert response.status_code == 400
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert account_count(app) == 0


def test_messages_on_the_form_are_translated(registration, client):
    client.set_cookie("selfie_lang", "fi")
    registration.accept_terms()
    registration.identify("anna.andersson")
    response = registration.create_account("anna@example.fi", "short pass")
    assert response.status_code == 400
    assert "Salasanassa on oltava vähintään 12 merkkiä." in response.text
    assert "at least 12 characters" not in response.text


def test_a_password_with_spaces_and_nordic_letters_is_fine(app, registration):
    response = registration.register("anna.andersson", "anna@example.fi", "Åsa går över ån i maj")
    assert response.status_code == 303
    assert account_count(app) == 1


# -- already registered ------------------------------------------------------------------------
def test_a_registered_person_is_told_so_with_the_username_masked(app, registration, client):
    registration.register("anna.andersson", "anna.andersson@example.fi")
    response = registration.come_back_identified("anna.andersson")
    assert response.headers["Location"].endswith("/register/existing")
    page = client.get("/register/existing")
    assert "a***@example.fi" in page.text
    assert "anna.andersson@example.fi" not in page.text
    assert account_count(app) == 1


def test_a_registered_person_can_set_a_new_password_after_identifying(registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    registration.come_back_identified("anna.andersson")
    new = "a brand new passphrase"
    response = client.post("/register/existing", data={"password": new, "confirm": new})
    assert response.headers["Location"].endswith("/account/services")
    client.post("/logout")
    login = client.post("/login", data={"username": "anna@example.fi", "password": new})
    assert login.status_code == 303
