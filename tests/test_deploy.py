"""deploy/: the nginx site in front of a real gunicorn master, and the systemd units.

The site file is used as shipped, with only what differs on a test machine
replaced: ports, the certificate (a self-signed one made here), the upstream
port, the static folder and the snippet's path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from app.resources import STATIC, static_version
from tests.conftest import unavailable
from tests.support.portal import migrate, portal_env
from tests.support.servers import REPOSITORY, Gunicorn, free_port, port_open, wait_until

pytestmark = pytest.mark.slow
DEPLOY = REPOSITORY / "deploy"


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is not installed (apt-get install openssl)")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def render_site(folder: Path, upstream: int, http: int, https: int) -> tuple[Path, Path]:
    cert, key = self_signed(folder)
    site = (DEPLOY / "nginx" / "selfie.conf").read_text()
    replacements = {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/letsencrypt/live/selfie.example.fi/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/selfie.example.fi/privkey.pem": str(key),
        "server 127.0.0.1:8000": f"server 127.0.0.1:{upstream}",
        "alias /opt/selfie/static/;": f"alias {STATIC}/;",
        "/etc/nginx/snippets/selfie-proxy.conf": str(DEPLOY / "nginx" / "selfie-proxy.conf"),
    }
    for shipped, here in replacements.items():
        assert shipped in site, shipped
        site = site.replace(shipped, here)
    (folder / "selfie.conf").write_text(site)
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {folder}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {folder}/selfie.conf;\n}}\n"
    )  # fmt: skip
    return main, cert


@pytest.fixture
def behind_nginx(tmp_path, oidc_issuer):
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if nginx is None:
        unavailable("nginx is not installed (apt-get install nginx)")
    database = f"sqlite:///{tmp_path / 'selfie.sqlite3'}"
    migrate(tmp_path, oidc_issuer, database)
    env = portal_env(oidc_issuer, database, SELFIE_PROXY_HOPS="1")
    http, https = free_port(), free_port()
    with Gunicorn(env) as portal:
        main, cert = render_site(tmp_path, portal.port, http, https)
        checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
                                 capture_output=True, text=True, timeout=30)  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(main),
                                   "-g", "daemon off;"], stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_until(lambda: port_open(https) and port_open(http), 20, "nginx")
            yield Proxy(f"http://127.0.0.1:{http}", f"https://127.0.0.1:{https}", cert)
        finally:
            server.terminate()
            server.wait(timeout=20)


@dataclass
class Proxy:
    http: str
    https: str
    certificate: Path

    def fetch(self, method: str, path: str, secure: bool = True, **kwargs) -> requests.Response:
        """A request that trusts exactly the test's self-signed certificate."""
        base = self.https if secure else self.http
        return requests.request(method, base + path, verify=str(self.certificate),
                                allow_redirects=False, timeout=10, **kwargs)  # fmt: skip


def test_plain_http_is_redirected_to_https(behind_nginx):
    answer = behind_nginx.fetch("GET", "/terms/", secure=False)
    assert answer.status_code == 301 and answer.headers["Location"].startswith("https://")


def test_the_portal_behind_nginx_sees_https_and_the_proxys_request_id(behind_nginx):
    page = behind_nginx.fetch("GET", "/", cookies={"selfie_lang": "fi"})
    assert page.status_code == 200 and '<html lang="fi">' in page.text
    # HSTS comes from the portal only when it trusts X-Forwarded-Proto: https.
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    request_id = page.headers["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0  # nginx's $request_id


def test_static_files_come_from_nginx_with_a_long_immutable_cache(behind_nginx):
    css = behind_nginx.fetch("GET", f"/static/css/selfie.css?v={static_version()}")
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
    assert (
        "immutable" in css.headers["Cache-Control"]
        and "max-age=31536000" in css.headers["Cache-Control"]
    )
    assert "X-Request-ID" not in css.headers  # nginx answered, not the portal
    assert behind_nginx.fetch("GET", "/static/").status_code in {403, 404}


def test_an_oversized_request_body_is_refused_by_nginx(behind_nginx):
    answer = behind_nginx.fetch("POST", "/login", data={"username": "x" * 100_000})
    assert answer.status_code == 413


def test_readiness_is_served_to_the_local_network(behind_nginx):
    assert behind_nginx.fetch("GET", "/readyz").status_code == 200


def test_the_desk_is_served_to_the_allowed_networks_only(behind_nginx, tmp_path):
    assert behind_nginx.fetch("GET", "/staff/login").status_code == 200  # from loopback
    site = (tmp_path / "selfie.conf").read_text()
    desk = site[site.index("location /staff/ {") : site.index("location / {")]
    assert "deny all;" in desk and "access_log off;" in desk


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is not installed (apt-get install systemd)")
    bin_folder = str(Path(sys.executable).parent)
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/opt/selfie/venv/bin", bin_folder)
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(path) for path in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)  # fmt: skip
    problems = [line for line in done.stderr.splitlines() if "selfie" in line]
    assert done.returncode == 0 and problems == [], done.stderr
