"""A person in a real browser's place: ``requests`` against portal hosts over HTTP.

One cookie jar may talk to several hosts (two gunicorn masters on different
ports of 127.0.0.1 share cookies, as two hosts behind one proxy do), so a
step begun on one host can be finished on another.
"""

from __future__ import annotations

import re

import requests

from tests.conftest import csrf_token

VERSION = re.compile(r'name="version" type="hidden" value="([^"]+)"')
PASSWORD = "correct horse battery"


class Person:
    def __init__(self, language: str = "en"):
        self.http = requests.Session()
        self.language = language

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(url, cookies={"selfie_lang": self.language}, timeout=30,
                             allow_redirects=False, **kwargs)  # fmt: skip

    def token(self, page_url: str) -> str:
        """The session's CSRF token, as the form on ``page_url`` carries it."""
        return csrf_token(self.get(page_url).text)

    def post(self, url: str, data: dict, token_from: str | None = None,
             token: str | None = None) -> requests.Response:  # fmt: skip
        """POST a form with ``token``, or the CSRF token of the page at ``token_from``."""
        token = token or self.token(token_from or url.rsplit("/", 1)[0] + "/")
        return self.http.post(url, data={"csrf_token": token, **data},
                              cookies={"selfie_lang": self.language}, timeout=30,
                              allow_redirects=False)  # fmt: skip

    def accept_terms(self, host: str) -> requests.Response:
        page = self.get(f"{host}/terms/")
        version = VERSION.search(page.text).group(1)
        return self.post(f"{host}/terms/accept", {"version": version}, f"{host}/terms/")

    def identify(self, host: str, sub: str, method: str = "bank") -> requests.Response:
        started = self.post(f"{host}/register/identify", {"method": method}, f"{host}/register/")
        assert started.status_code == 303, started.text[:500]
        answer = requests.post(started.headers["Location"], data={"sub": sub},
                               allow_redirects=False, timeout=10)  # fmt: skip
        assert answer.status_code == 302, answer.text[:500]
        return self.get(answer.headers["Location"])

    def create_account(self, host: str, username: str, password: str = PASSWORD,
                       token: str | None = None) -> requests.Response:  # fmt: skip
        return self.post(
            f"{host}/register/account",
            {"username": username, "password": password, "confirm": password},
            f"{host}/register/account",
            token,
        )

    def login(self, host: str, username: str, password: str = PASSWORD) -> requests.Response:
        return self.post(f"{host}/login", {"username": username, "password": password},
                         f"{host}/login")  # fmt: skip

    def logout(self, host: str) -> requests.Response:
        return self.post(f"{host}/logout", {}, f"{host}/account/details")

    def signed_in(self, host: str) -> bool:
        return self.get(f"{host}/account/details").status_code == 200
