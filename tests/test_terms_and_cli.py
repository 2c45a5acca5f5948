"""Terms as versioned data, and the smaller command-line tools."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account
from app.services.terms import DEFAULT_VERSION


def write_texts(tmp_path, texts: dict[str, str]) -> list[str]:
    args = []
    for language, text in texts.items():
        path = tmp_path / f"{language}.txt"
        path.write_text(text, encoding="utf-8")
        args += [f"--{language}", str(path)]
    return args


TEXTS = {
    "sv": "Nya villkor.\n\n## Rubrik\n\nText.",
    "fi": "Uudet ehdot.\n\n## Otsikko\n\nTeksti.",
    "en": "New terms.\n\n## Heading\n\nText.",
}


def test_the_shipped_default_terms_apply_until_a_version_is_published(client):
    page = client.get("/terms/").text
    assert DEFAULT_VERSION in page
    assert 'class="terms-text"' in page and "<h3>" in page


def test_the_terms_are_shown_in_the_chosen_language(client):
    client.set_cookie("selfie_lang", "fi")
    page = client.get("/terms/").text
    assert "Hyväksy käyttöehdot" in page and "henkilötunnus" in page


def test_accepting_is_an_explicit_button_press(client):
    """No consent box at all, so nothing can be pre-ticked: the button is the consent."""
    page = client.get("/terms/").text
    assert 'type="checkbox"' not in page
    button = 'id="submit" name="submit" type="submit" value="Accept the terms of use"'
    assert button in page


def test_a_published_version_replaces_the_default_and_is_stored_with_the_account(
    app, runner, registration, client, tmp_path
):
    result = runner.invoke(args=["terms", "publish", "2027-01", *write_texts(tmp_path, TEXTS)])
    assert result.exit_code == 0, result.output
    page = client.get("/terms/").text
    assert "2027-01" in page and "New terms." in page
    registration.register("anna.andersson", "anna@example.fi")
    with app.app_context():
        assert db.session.scalar(select(Account.terms_version)) == "2027-01"


def test_accepting_an_outdated_version_asks_to_read_the_new_one(runner, client, tmp_path):
    page = client.get("/terms/").text
    old_version = re.search(r'name="version" type="hidden" value="([^"]+)"', page).group(1)
    runner.invoke(args=["terms", "publish", "2027-01", *write_texts(tmp_path, TEXTS)])
    response = client.post("/terms/accept", data={"version": old_version})
    assert response.headers["Location"].endswith("/terms/")
    assert "have been updated" in client.get("/terms/").text
    assert client.post("/register/identify", data={"method": "bank"}).status_code == 303
    assert "accept the terms of use first" in client.get("/register/").text


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"sv": "Text", "fi": "", "en": "Text"}, "is empty"),
    ],
)
def test_publishing_refuses_an_empty_text(runner, tmp_path, texts, message):
    result = runner.invoke(args=["terms", "publish", "2027-02", *write_texts(tmp_path, texts)])
    assert result.exit_code != 0 and message in result.output


def test_publishing_needs_every_language(runner, tmp_path):
    args = write_texts(tmp_path, {"sv": "Text", "fi": "Teksti"})
    result = runner.invoke(args=["terms", "publish", "2027-02", *args])
    assert result.exit_code != 0 and "--en" in result.output


def test_a_version_is_published_once(runner, tmp_path):
    args = write_texts(tmp_path, TEXTS)
    assert runner.invoke(args=["terms", "publish", "2027-01", *args]).exit_code == 0
    again = runner.invoke(args=["terms", "publish", "2027-01", *args])
    assert again.exit_code != 0 and "already been published" in again.output


def test_keys_generate_writes_private_key_files_once(runner, tmp_path):
    result = runner.invoke(args=["keys", "generate", "--directory", str(tmp_path / "keys")])
    assert result.exit_code == 0, result.output
    signing = json.loads((tmp_path / "keys" / "signing.jwk.json").read_text())
    encryption = json.loads((tmp_path / "keys" / "encryption.jwk.json").read_text())
    assert (signing["use"], signing["kty"], "d" in signing) == ("sig", "RSA", True)
    assert (encryption["use"], encryption["kty"]) == ("enc", "RSA")
    assert ((tmp_path / "keys" / "signing.jwk.json").stat().st_mode & 0o777) == 0o600
    again = runner.invoke(args=["keys", "generate", "--directory", str(tmp_path / "keys")])
    assert again.exit_code != 0 and "exists already" in again.output


def test_customer_service_lookup_tells_whether_a_customer_links(
    app, runner, demo_register, registration
):
    registration.register("anna.andersson", "anna@example.fi")
    linked = runner.invoke(args=["customers", "lookup", "100001"]).output
    assert "150385-****" in linked and "linked to the username" in linked
    assert "anna@example.fi" not in linked
    waiting = runner.invoke(args=["customers", "lookup", "100003"]).output
    assert "no username registered" in waiting
    unknown_code = runner.invoke(args=["customers", "lookup", "100007"]).output
    assert "no personal identity code on record" in unknown_code
    missing = runner.invoke(args=["customers", "lookup", "999999"]).output
    assert "not in the register" in missing
