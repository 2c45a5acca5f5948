"""ASVS V14 (configuration): security headers, no-store on private pages, no
project files served, and the reverse-proxy setting.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import re

import pytest

from app.services.terms import DEFAULT_VERSION
from tests.conftest import (
    audit_events,
    english_client,
)

# -- 6. headers ---------------------------------------------------------------------------------
PUBLIC_PAGES = ["/", "/login", "/terms/", "/register/", "/no-such-page"]


def policy(response) -> dict[str, list[str]]:
    directives = response.headers["Content-Security-Policy"].split(";")
    return {d.split()[0]: d.split()[1:] for d in directives if d.strip()}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_csp_allows_no_inline_scripts_or_styles(client, path):
    csp = policy(client.get(path))
    for directive in ("default-src", "script-src", "style-src"):
        assert directive in csp
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    assert csp["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_csp_forbids_framing(client, path):
    assert policy(client.get(path))["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_sniffing_referrers_and_browser_features_are_restricted(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "strict-origin", "no-referrer"}
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/login", "/terms/", "/register/"])
def test_public_pages_need_no_inline_script_or_style(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert not INLINE.search(page.text), INLINE.search(page.text)


@pytest.mark.parametrize("path", ["/", "/account/services", "/account/details"])
def test_signed_in_pages_need_no_inline_script_or_style(member, path):
    page = member.get(path)
    assert page.status_code == 200
    assert not INLINE.search(page.text), INLINE.search(page.text)


def test_hsts_is_sent_over_https(client):
    hsts = client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600


def test_hsts_is_not_sent_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("path", ["/", "/account/services", "/account/details"])
def test_signed_in_pages_are_not_stored(member, path):
    assert "no-store" in member.get(path).headers["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/terms/", "/register/", "/login", "/register/account", "/register/existing"]
)
def test_registration_steps_are_not_stored(client, path):
    assert "no-store" in client.get(path).headers["Cache-Control"]


def test_the_username_step_after_identification_is_not_stored(registration, client):
    registration.accept_terms()
    registration.identify("anna.andersson")
    page = client.get("/register/account")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]


def test_static_files_are_not_marked_no_store(member):
    with member.get("/static/css/selfie.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path", ["/static/", "/static/css/", "/.git/config", "/.env", "/instance/secrets.json"]
)
def test_no_directory_listing_and_no_project_files_are_served(client, path):
    assert client.get(path).status_code == 404


# -- 8. reverse proxy ---------------------------------------------------------------------------
FORWARDED = {"X-Forwarded-For": "192.0.2.66, 203.0.113.7", "X-Forwarded-Proto": "https"}


def test_with_one_proxy_hop_the_forwarded_address_is_audited(build):
    app = build(PROXY_HOPS=1)
    english_client(app).post("/terms/accept", data={"version": DEFAULT_VERSION}, headers=FORWARDED)
    (accepted,) = audit_events(app, "terms_accepted")
    assert accepted.client_ip == "203.0.113.7"  # the proxy's view; the rest is the client's word


def test_with_one_proxy_hop_the_forwarded_scheme_gets_hsts(build):
    client = english_client(build(PROXY_HOPS=1))
    assert "Strict-Transport-Security" in client.get("/", headers=FORWARDED).headers


def test_without_a_proxy_forwarded_headers_are_ignored_in_the_audit(app, client):
    client.post("/terms/accept", data={"version": DEFAULT_VERSION}, headers=FORWARDED)
    (accepted,) = audit_events(app, "terms_accepted")
    assert accepted.client_ip == "127.0.0.1"


def test_without_a_proxy_a_forwarded_scheme_gets_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/", headers=FORWARDED).headers
