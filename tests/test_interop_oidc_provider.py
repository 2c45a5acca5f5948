"""The FTN flow against an independent, OpenID-certified provider: panva's oidc-provider.

tests/interop/provider.mjs configures it strictly (code flow only, PKCE S256,
signed request objects required, private_key_jwt only, ID token and userinfo
signed RS256 then encrypted RSA-OAEP / A128CBC-HS256 to the portal's JWKS, acr
loa2/loa3, RFC 9207 iss). It puts ``cty``, ``iss`` and ``aud`` in the JWE
header, which the strict test provider does only when asked (issue 16).
``.ci/run`` installs it with ``npm ci``; without node_modules the test skips.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from werkzeug.serving import make_server

from app.extensions import db
from app.services.identification.keys import generate_key_files
from tests.conftest import (
    PERSONS,
    Registration,
    base_settings,
    english_client,
    import_demo_register,
    make_app,
    refused_by,
    unavailable,
)

INTEROP = Path(__file__).parent / "interop"
CLIENT_ID = "selfie-interop"
REDIRECT_URI = "http://localhost/register/callback"
READY_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, process: subprocess.Popen) -> None:
    """Poll the discovery URL until it answers, the process dies, or the time is up."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oidc-provider exited: {process.stderr.read()[-2000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # the interval between polls, not a wait for readiness
    raise RuntimeError(f"oidc-provider did not answer {url} within {READY_TIMEOUT_SECONDS}s")


def node() -> str:
    """The node executable, or a skip (CI: a failure) saying what is missing."""
    executable = shutil.which("node")
    if executable is None:
        unavailable("node is not installed (needed for the oidc-provider interop test)")
    if not (INTEROP / "node_modules" / "oidc-provider").is_dir():
        unavailable("tests/interop/node_modules is missing: run (cd tests/interop && npm ci)")
    return executable


@pytest.fixture
def portal(tmp_path):
    """The FTN portal, its JWKS served on loopback for the provider to fetch."""
    node()
    signing, encryption = generate_key_files(tmp_path / "keys")
    port = free_port()
    app = make_app(
        base_settings(tmp_path, f"http://127.0.0.1:{port}")
        | {
            "OIDC_PROFILE": "ftn",
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": "",
            "OIDC_SIGNING_KEY_FILE": str(signing),
            "OIDC_ENCRYPTION_KEY_FILE": str(encryption),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, port, f"http://127.0.0.1:{server.port}/.well-known/jwks.json"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def oidc_provider(portal, tmp_path):
    app, port, jwks_uri = portal
    persons = {
        sub: {"hetu": p.code, "given_name": p.given_name, "family_name": p.family_name}
        for sub, p in PERSONS.items()
    }
    config = tmp_path / "interop.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "jwks_uri": jwks_uri,
                "persons": persons,
            }
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [node(), "provider.mjs", str(config)],
        cwd=INTEROP,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{issuer}/.well-known/openid-configuration", process)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


class InteropRegistration(Registration):
    """The person at oidc-provider: follow its redirects, choose the person, come back."""

    def __init__(self, client, issuer):
        super().__init__(client)
        self.issuer = issuer
        self.browser = requests.Session()
        self.jwe_headers: list[dict] = []

    def authorize_at_provider(self, authorize_url, sub, deny=False):
        answer = self.browser.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(10):
            if answer.status_code == 200 and 'name="sub"' in answer.text:
                answer = self.browser.post(
                    answer.url, data={"sub": sub}, allow_redirects=False, timeout=10
                )
                continue
            assert answer.status_code in (302, 303), answer.text[:500]
            location = urljoin(answer.url, answer.headers["Location"])
            if location.startswith(REDIRECT_URI):
                return location.removeprefix("http://localhost")
            answer = self.browser.get(location, allow_redirects=False, timeout=10)
        raise AssertionError("oidc-provider never sent the person back to the portal")


def test_an_honest_identification_at_oidc_provider_ends_on_the_persons_services(
    portal, oidc_provider, tmp_path, request
):
    app = portal[0]
    import_demo_register(app, tmp_path / "register")
    walk = InteropRegistration(english_client(app), oidc_provider)
    request.addfinalizer(walk.browser.close)
    walk.accept_terms()
    callback = walk.authorize_at_provider(walk.start_identification(), "anna.andersson")
    assert f"iss={requests.utils.quote(oidc_provider, safe='')}" in callback  # RFC 9207
    identified = walk.client.get(callback)
    assert refused_by(app) is None
    assert identified.headers["Location"].endswith("/register/account")
    created = walk.create_account("anna@example.fi")
    assert created.headers["Location"].endswith("/account/services")
    services = walk.client.get("/account/services").text
    assert "100001" in services and "100002" in services
    assert "Sommarstigen 4, Replot" in services
