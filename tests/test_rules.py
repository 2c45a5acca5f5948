"""Unit tests of the domain rules: codes, passwords, claims, methods, redirects, settings."""

from __future__ import annotations

import json
from datetime import date

import pytest

from app.services import identity_codes
from app.services.accounts import passwords
from app.services.accounts.service import mask_username, normalise_username
from app.services.customers.demo import temporary_code
from app.services.identification.claims import ClaimError, map_claims
from app.services.identification.methods import MethodsFileError, load_methods
from app.settings import MissingSettingError
from app.urls import safe_next
from app.web import phone_href

VALID = "131052-308T"  # the example code of the Finnish Digital and Population Data Services


# -- personal identity codes ---------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        VALID,
        " 131052-308t ",
        "131052X308T",
        "010594Y123W",
        "010594X456M",
        "010101A123N",
        "010101B123N",
    ],
)
def test_valid_codes_including_the_2023_century_signs(value):
    assert identity_codes.parse(value).compact == value.strip().upper()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("131052-308U", "checksum"),
        ("320152-308T", "date"),
        ("131352-308T", "date"),
        ("131052G308T", "format"),
        ("13105-308T", "format"),
        ("", "format"),
        ("hello world", "format"),
        (temporary_code(date(1985, 3, 15), 901), "temporary"),
    ],
)
def test_invalid_codes_are_refused_with_a_reason(value, reason):
    with pytest.raises(identity_codes.InvalidIdentityCode) as refused:
        identity_codes.parse(value)
    assert refused.value.reason == reason
    assert value not in str(refused.value) or not value


def test_temporary_codes_are_accepted_only_when_allowed():
    code = temporary_code(date(1985, 3, 15), 901)
    assert identity_codes.parse(code, allow_temporary=True).birth_date_part == "150385"


def test_the_reference_is_a_keyed_hash_of_the_normalised_code():
    key = "k1"
    one = identity_codes.identity_reference(identity_codes.parse(VALID), key)
    same = identity_codes.identity_reference(identity_codes.parse(" 131052-308t"), key)
    other_key = identity_codes.identity_reference(identity_codes.parse(VALID), "k2")
    assert one == same != other_key
    assert len(one) == 64 and VALID not in one


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError, match="empty"):
        identity_codes.identity_reference(identity_codes.parse(VALID), "")


def test_a_parsed_code_never_prints_itself():
    parsed = identity_codes.parse(VALID)
    assert VALID not in repr(parsed) and VALID not in str(parsed)
    assert "131052-****" in repr(parsed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"user {VALID} failed", "user 131052-**** failed"),
        ("codes 010594Y123W and 010101a123n", "codes 010594-**** and 010101-****"),
        ("order 12345678", "order 12345678"),
        ("hetu_150385-9013 in a key", "hetu_150385-**** in a key"),
        ("typed 1503859013 without the sign", "typed 150385-**** without the sign"),
        ("x131052-308T_1", "x131052-****_1"),
        ("phone 06 786 8222", "phone 06 786 8222"),
    ],
)
def test_masking_catches_anything_shaped_like_a_code(text, expected):
    assert identity_codes.mask(text) == expected


# -- passwords ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("short", "", passwords.PasswordProblem.TOO_SHORT),
        ("elevenchars", "", passwords.PasswordProblem.TOO_SHORT),
        ("a" + " " * 12 + "b", "", passwords.PasswordProblem.TOO_SHORT),  # spaces combined
        ("two  words  x", "", passwords.PasswordProblem.TOO_SHORT),
        ("x" * 129, "", passwords.PasswordProblem.TOO_LONG),
        ("1q2w3e4r5t6y", "", passwords.PasswordProblem.COMMON),
        ("123456789ABC", "", passwords.PasswordProblem.COMMON),
        (
            "anna.andersson@example.fi",
            "anna.andersson@example.fi",
            passwords.PasswordProblem.SAME_AS_EMAIL,
        ),
        (
            "ANNA.ANDERSSON@example.fi",
            "anna.andersson@example.fi",
            passwords.PasswordProblem.SAME_AS_EMAIL,
        ),
        ("anna.andersson1", "anna.andersson1@example.fi", passwords.PasswordProblem.SAME_AS_EMAIL),
    ],
)
def test_password_rules(password, email, problem):
    assert problem in passwords.problems(password, email)


@pytest.mark.parametrize(
    "password",
    ["twelve chars", "Åsa går över ån", "x" * 128, "        spaces in it ", "ÄÖÅäöå123456"],
)
def test_acceptable_passwords(password):
    assert passwords.problems(password, "anna@example.fi") == []


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("123456789qwerty", True),  # rank 9,990 of zxcvbn's list: inside the ten thousand
        ("qazxswedcvfr", False),  # rank 10,023: outside, and long enough to pass
    ],
)
def test_the_common_list_ends_at_the_ten_thousandth_password(password, refused):
    assert (passwords.PasswordProblem.COMMON in passwords.problems(password)) is refused


def test_hashes_are_argon2id_and_verify_after_unicode_normalisation():
    composed = "Åsa går över ån"
    decomposed = "A\u030asa ga\u030ar o\u0308ver a\u030an"
    hashed = passwords.hash_password(composed)
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, decomposed)
    assert not passwords.verify_password(hashed, "Asa gar over an")


def test_verifying_without_a_hash_is_always_false():
    assert passwords.verify_password(None, "selfie-timing-equaliser") is False


# -- usernames ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("Anna@Example.FI", "anna@example.fi"), ("  anna@example.fi ", "anna@example.fi")],
)
def test_usernames_are_normalised(value, expected):
    assert normalise_username(value) == expected


@pytest.mark.parametrize(
    ("username", "masked"),
    [("anna.andersson@example.fi", "a***@example.fi"), ("x@jnt.fi", "x***@jnt.fi")],
)
def test_usernames_are_masked(username, masked):
    assert mask_username(username) == masked


# -- claims ------------------------------------------------------------------------------------
def test_claims_map_to_a_reference_and_names():
    identified = map_claims(
        {"hetu": VALID, "given_name": " Anna ", "family_name": "Andersson"},
        claim_name="hetu",
        key="k",
        allow_temporary=False,
    )
    assert identified.identity_ref == identity_codes.identity_reference(
        identity_codes.parse(VALID), "k"
    )
    assert (identified.birth_date_part, identified.given_name) == ("131052", "Anna")
    assert VALID not in repr(identified)


@pytest.mark.parametrize(
    ("claims", "claim_name", "reason"),
    [
        ({}, "hetu", "missing"),
        ({"hetu": ""}, "hetu", "missing"),
        ({"hetu": 131052}, "hetu", "missing"),
        ({"hetu": VALID}, "personal_identity_code", "missing"),
        ({"hetu": "131052-308U"}, "hetu", "checksum"),
        ({"urn:oid:1.2.246.21": "nonsense"}, "urn:oid:1.2.246.21", "format"),
    ],
)
def test_bad_claims_are_refused(claims, claim_name, reason):
    with pytest.raises(ClaimError) as refused:
        map_claims(claims, claim_name=claim_name, key="k", allow_temporary=False)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "claim_name", ["hetu", "personal_identity_code", "urn:oid:1.2.246.21", "nin"]
)
def test_the_identity_claim_name_is_configurable(claim_name):
    identified = map_claims(
        {claim_name: VALID}, claim_name=claim_name, key="k", allow_temporary=False
    )
    assert identified.birth_date_part == "131052"


# -- identification methods ---------------------------------------------------------------------
def test_the_default_methods_are_bank_codes_and_mobile_certificate():
    from app.resources import package_folder

    methods = load_methods(str(package_folder("services/identification") / "methods.json"))
    assert [m.label("sv") for m in methods] == ["Bankkoder", "Mobilcertifikat"]
    assert [m.label("fi") for m in methods] == ["Pankkitunnukset", "Mobiilivarmenne"]
    assert all("acr_values" in m.params for m in methods)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '[{"id": "bank", "labels": {"sv": "Bank"}}]',
        '[{"id": "Bank Codes", "labels": {"sv": "a", "fi": "b", "en": "c"}}]',
        '[{"id": "bank", "labels": {"sv": "a", "fi": "b", "en": "c"}, "params": {"state": "x"}}]',
        '[{"id": "bank", "labels": {"sv": "a", "fi": "b", "en": "c"},'
        ' "params": {"acr_values": 2}}]',
        '[{"id": "a", "labels": {"sv": "a", "fi": "b", "en": "c"}},'
        ' {"id": "a", "labels": {"sv": "a", "fi": "b", "en": "c"}}]',
    ],
)
def test_a_broken_methods_file_is_refused(tmp_path, content):
    path = tmp_path / f"methods-{abs(hash(content))}.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MethodsFileError):
        load_methods(str(path))


def test_a_custom_methods_file_with_broker_parameters(tmp_path):
    path = tmp_path / "methods.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "nordea",
                    "labels": {"sv": "Nordea", "fi": "Nordea", "en": "Nordea"},
                    "params": {"acr_values": "urn:grn:authn:fi:bank-id", "login_hint": "nordea"},
                }
            ]
        ),
        encoding="utf-8",
    )
    (method,) = load_methods(str(path))
    assert method.params["login_hint"] == "nordea"


# -- redirects and links -------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    ["/account/services", "/account/services?x=1", "/"],
)
def test_local_paths_are_safe(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil",
        "javascript:alert(1)",
        "/\x00x",
        "/ok\r\nLocation: https://evil",
        "account",
    ],
)
def test_other_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("06 786 8222", "tel:+35867868222"),
        ("+358 6 786 8222", "tel:+35867868222"),
        ("0800 123 456", "tel:+358800123456"),
    ],
)
def test_phone_links_use_the_international_form(phone, href):
    assert phone_href(phone) == href


# -- settings -----------------------------------------------------------------------------------
def test_production_refuses_to_start_without_secrets(monkeypatch, tmp_path):
    from app import create_app

    for name in ("SELFIE_SECRET_KEY", "SELFIE_IDENTITY_KEY", "SELFIE_ENV"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingSettingError) as refused:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert "SELFIE_SECRET_KEY" in str(refused.value) and "SELFIE_IDENTITY_KEY" in str(refused.value)


def test_production_names_the_one_missing_secret(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("SELFIE_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("SELFIE_IDENTITY_KEY", raising=False)
    monkeypatch.delenv("SELFIE_ENV", raising=False)
    with pytest.raises(MissingSettingError) as refused:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert refused.value.names == ["IDENTITY_KEY"]


def test_settings_come_from_the_environment_with_the_prefix(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("SELFIE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SELFIE_IDENTITY_KEY", "i" * 40)
    monkeypatch.setenv("SELFIE_SUPPORT_PHONE", "06 123 4567")
    monkeypatch.setenv("SELFIE_PROXY_HOPS", "1")
    monkeypatch.setenv("SELFIE_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    app = create_app()
    assert app.config["SUPPORT_PHONE"] == "06 123 4567"
    assert app.config["PROXY_HOPS"] == 1
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SUPPORT_EMAIL"] == "kundtjanst@jnt.fi"


def test_development_takes_missing_secrets_from_the_instance_file(monkeypatch, tmp_path):
    from app import create_app
    from app.devsecrets import ensure_secrets

    monkeypatch.delenv("SELFIE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SELFIE_IDENTITY_KEY", raising=False)
    monkeypatch.setenv("SELFIE_INSTANCE_PATH", str(tmp_path))
    path = ensure_secrets(tmp_path)
    stored = json.loads(path.read_text())
    app = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["SECRET_KEY"] == stored["SECRET_KEY"]
    assert app.config["IDENTITY_KEY"] == stored["IDENTITY_KEY"]
    assert (path.stat().st_mode & 0o777) == 0o600
    assert ensure_secrets(tmp_path).read_text() == path.read_text()  # written once, kept


def test_secrets_that_look_like_numbers_stay_text(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("SELFIE_SECRET_KEY", "1e5")
    monkeypatch.setenv("SELFIE_IDENTITY_KEY", "12345678901234567890")
    monkeypatch.setenv("SELFIE_SUPPORT_PHONE", "067868222")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["SECRET_KEY"] == "1e5"
    assert app.config["IDENTITY_KEY"] == "12345678901234567890"
    assert app.config["SUPPORT_PHONE"] == "067868222"


def test_readme_lists_every_setting_with_its_default_and_nothing_else():
    from app.settings_table import SETTINGS
    from tests.support.servers import REPOSITORY

    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `SELFIE_")]
    assert rows == [setting.readme_row for setting in SETTINGS]


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [("PROXY_HOPS", "1", 1), ("RATELIMIT_ENABLED", "false", False), ("IDENTITY_KEY", "1e5", "1e5")],
)
def test_each_setting_is_parsed_as_its_table_says(monkeypatch, name, raw, value):
    from app.settings import from_environment

    monkeypatch.setenv(f"SELFIE_{name}", raw)
    assert from_environment(name) == value


@pytest.mark.parametrize("env", ["testing", "staging", "Production"])
def test_an_unknown_environment_refuses_to_start(monkeypatch, tmp_path, env):
    from app import create_app
    from app.settings import InvalidSettingError

    monkeypatch.setenv("SELFIE_ENV", env)
    monkeypatch.setenv("SELFIE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("SELFIE_IDENTITY_KEY", "i" * 40)
    with pytest.raises(InvalidSettingError, match="SELFIE_ENV"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_the_leak_finder_finds_codes_and_reports_them_masked():
    from tests.conftest import code_leaks

    code = temporary_code(date(1985, 3, 15), 901)
    found = code_leaks(
        ["nothing here", f"log: user {code} failed", f"tail {code[7:]} only"], [code]
    )
    assert len(found) == 2
    assert all(code not in line and code[7:] not in line for line in found)
    assert code_leaks(["150385 and 9013X"], [code]) == []
