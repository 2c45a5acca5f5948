"""Three languages: negotiation, the switch, catalogues complete and current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES
from app.resources import TRANSLATIONS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORDING = {
    # shared/wording.md: label (msgid) -> published Swedish, Finnish
    "Log in": ("Logga in", "Kirjaudu sisään"),
    "Invoices": ("Fakturor", "Laskut"),
    "Create a username": ("Skapa ett användarnamn", "Luo käyttäjätunnus"),
    "New username": ("Nytt användarnamn", "Uusi käyttäjätunnus"),
    "Read and accept the terms of use": (
        "Läs och godkänn användarvillkoren",
        "Lue ja hyväksy käyttöehdot",
    ),
    "Accept the terms of use": ("Acceptera användarvillkoren", "Hyväksy käyttöehdot"),
    "Terms of use accepted": ("Användarvillkor godkända", "Käyttöehdot hyväksytty"),
    "Choose an identification method": ("Välj autentiseringsmetod", "Valitse tunnistautumistapa"),
    "Username (e-mail address)": (
        "Användarnamn (e-postadress)",
        "Käyttäjätunnus (sähköpostiosoite)",
    ),
    "Password": ("Lösenord", "Salasana"),
    "Repeat the password": ("Upprepa lösenordet", "Toista salasana"),
    "Create a new account": ("Skapa ett nytt konto", "Luo uusi tili"),
    "My details": ("Egna detaljer", "Omat tiedot"),
    "My services": ("Egna tjänster", "Omat palvelut"),
    "Log out": ("Logga ut", "Kirjaudu ulos"),
    "Customer service": ("Kundtjänst", "Asiakaspalvelu"),
    "Customer number": ("Kundnummer", "Asiakasnumero"),
    "Personal identity code": ("Personbeteckning", "Henkilötunnus"),
}


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_message_is_untranslated_or_fuzzy(language):
    problems = [
        message.id
        for message in catalogue(language)
        if message.id and (not message.string or message.fuzzy)
    ]
    assert problems == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_placeholders_survive_translation(language):
    for message in catalogue(language):
        if message.id and message.python_format:
            names = sorted(set(re.findall(r"%\((\w+)\)s", message.id)))
            assert names == sorted(set(re.findall(r"%\((\w+)\)s", message.string))), message.id


@pytest.mark.parametrize(("msgid", "published"), WORDING.items())
def test_published_labels_are_exactly_as_published(msgid, published):
    sv, fi = published
    assert catalogue("sv").get(msgid).string == sv
    assert catalogue("fi").get(msgid).string == fi


def test_extraction_finds_template_and_code_strings_and_the_catalogues_hold_them(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(pot), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    assert "Read and accept the terms of use" in extracted  # a template string
    assert "Enter your e-mail address." in extracted  # a form message (lazy, _l)
    assert "Please read and accept the terms of use first." in extracted  # a view message
    for language in LANGUAGES:
        missing = extracted - {m.id for m in catalogue(language) if m.id}
        assert missing == set(), (
            f"{language}: run `make translations-update`: {sorted(missing)[:5]}"
        )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_compiled_catalogues_are_current(language):
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "run `make translations-compile`"
    with mo.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in catalogue(language) if m.id}
    assert compiled == source


# -- the language a page is shown in ---------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fi-FI,fi;q=0.9,en;q=0.5", "fi"),
        ("sv-FI,sv;q=0.9", "sv"),
        ("en-GB,en;q=0.8", "en"),
        ("de-DE,de;q=0.9", "sv"),
        ("", "sv"),
        ("@@@;;q=x,,", "sv"),
        ("fi;q=abc", "sv"),
    ],
)
def test_first_visit_negotiates_from_accept_language_falling_back_to_swedish(app, header, expected):
    response = app.test_client().get("/", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert f'<html lang="{expected}">' in response.text


def test_the_switch_names_each_language_in_itself(app):
    page = app.test_client().get("/").text
    for code, name in LANGUAGES.items():
        assert f'value="{code}" lang="{code}"' in page and f">{name}</button>" in page


def test_the_choice_is_remembered_in_a_cookie(app):
    client = app.test_client()
    response = client.post("/language", data={"language": "fi", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get_cookie("selfie_lang").value == "fi"
    assert '<html lang="fi">' in client.get("/login", headers={"Accept-Language": "en"}).text


@pytest.mark.parametrize("code", ["de", "", "fi'><script>", "SV"])
def test_an_unknown_language_code_changes_nothing(app, code):
    client = app.test_client()
    client.post("/language", data={"language": code, "next": "/"})
    assert client.get_cookie("selfie_lang") is None
    assert '<html lang="sv">' in client.get("/").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_switch_never_redirects_off_site(app, target):
    response = app.test_client().post("/language", data={"language": "fi", "next": target})
    assert response.headers["Location"] == "/"


def test_the_language_is_stored_on_the_account_and_restored_at_login(app, registration, client):
    registration.register("anna.andersson", "anna@example.fi")
    client.post("/language", data={"language": "fi", "next": "/"})
    client.post("/logout")
    browser = app.test_client()  # another device, no cookie, a Swedish browser
    response = browser.post(
        "/login",
        data={"username": "anna@example.fi", "password": "correct horse battery"},
        headers={"Accept-Language": "sv"},
    )
    assert browser.get_cookie("selfie_lang").value == "fi"
    assert '<html lang="fi">' in browser.get(response.headers["Location"]).text


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("path", ["/", "/login", "/register/", "/terms/", "/does-not-exist"])
def test_every_page_has_one_h1_a_main_and_the_language_switch(app, language, path):
    client = app.test_client()
    client.set_cookie("selfie_lang", language)
    page = client.get(path).text
    assert page.count("<h1") == 1
    assert page.count("<main") == 1
    assert 'class="language-switch"' in page
    assert f'<html lang="{language}">' in page


def test_babel_cfg_paths_exist():
    config = (PROJECT_ROOT / "babel.cfg").read_text()
    assert "app/**.py" in config and "app/templates/**.html" in config
    assert list((PROJECT_ROOT / "app" / "templates").rglob("*.html"))


def test_an_anonymous_visitor_switches_language_without_a_server_side_session(settings):
    """Browsing and switching language store nothing on the server until a form is used."""
    from sqlalchemy import text

    from app.extensions import db
    from tests.conftest import make_app

    app = make_app(settings | {"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    client.get("/")
    response = client.post("/language", data={"language": "fi", "next": "/"})
    assert response.status_code == 303
    assert client.get_cookie("selfie_lang").value == "fi"
    client.get("/does-not-exist")
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sessions")) == 0
    assert client.get_cookie("selfie_session") is None
