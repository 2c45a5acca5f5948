"""ASVS V5.1.5: redirects only to local paths.

No test sleeps: clocks are moved with monkeypatch.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.security import (
    PASSWORD,
    USERNAME,
)

# -- 7. safe redirects --------------------------------------------------------------------------
EVIL_TARGETS = [
    "https://evil.example/account/services",
    "HTTP://evil.example",
    "https:evil.example",
    "//evil.example",
    "///evil.example",
    "//localhost@evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",  # sent encoded twice: decoded once by the server
    "%2f%5cevil.example",
    "%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example",
]


def lands_on_services(response) -> bool:
    location = urlsplit(response.headers["Location"])
    return location.netloc in {"", "localhost"} and location.path == "/account/services"


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_never_redirects_off_site(anna, target):
    response = anna.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert lands_on_services(response), response.headers["Location"]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_a_signed_in_visit_to_login_never_redirects_off_site(member, target):
    response = member.get("/login", query_string={"next": target})
    assert lands_on_services(response), response.headers["Location"]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_the_login_form_does_not_carry_a_bad_target(anna, target):
    page = anna.get("/login", query_string={"next": target}).text
    assert re.search(r'<input id="next" name="next" type="hidden" value="">', page)


@pytest.mark.parametrize("target", ["/account/details", "/account/services?sort=name"])
def test_a_local_target_is_honoured(anna, target):
    response = anna.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == target
