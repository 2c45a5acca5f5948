"""``make demo``: the portal with its embedded defaults and a local identification provider.

Creates secrets and a SQLite database under ``instance/``, imports a
generated demo register, starts oidc-provider-mock with the demo persons
one click away, and serves the portal on http://127.0.0.1:5000.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from flask import Flask

from app.devsecrets import ensure_secrets
from app.resources import MIGRATIONS

PORTAL = ("127.0.0.1", 5000)
PROVIDER = ("127.0.0.1", 9400)


def _environment() -> None:
    defaults = {
        "SELFIE_ENV": "development",
        "SELFIE_IDENTITY_ALLOW_TEMPORARY": "true",
        "SELFIE_OIDC_ISSUER": f"http://{PROVIDER[0]}:{PROVIDER[1]}",
        "SELFIE_OIDC_CLIENT_ID": "selfie-demo",
        "SELFIE_OIDC_CLIENT_SECRET": "selfie-demo-secret",
        "SELFIE_INVOICE_BIC": "NDEAFIHH",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def _start_provider(persons_file: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "oidc_provider_mock",
        "--host", PROVIDER[0], "--port", str(PROVIDER[1]),
        "--require-nonce",
        "--user-claims-file", str(persons_file),
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"http://{PROVIDER[0]}:{PROVIDER[1]}/.well-known/openid-configuration"
    for _ in range(100):  # wait for the port, polling its discovery document
        try:
            with urllib.request.urlopen(url, timeout=0.2):  # noqa: S310 - loopback only
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the demo identification provider did not start") from None
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
    process.terminate()
    raise SystemExit("the demo identification provider did not answer")


def _print_persons(persons_file: Path) -> None:
    persons = json.loads(persons_file.read_text(encoding="utf-8"))
    print("\nDemo persons (click one on the identification page):")
    for person in persons:
        print(f"  {person['sub']:17} {person['name']:17} {person['demonstrates']}")
    print(f"\nSelfie: http://{PORTAL[0]}:{PORTAL[1]}/   (Ctrl+C stops both servers)\n")


def main() -> None:
    _environment()
    # create_app's folder: SELFIE_INSTANCE_PATH, else Flask's instance/ beside the checkout.
    instance = Path(os.environ.get("SELFIE_INSTANCE_PATH") or Flask("app").instance_path)
    ensure_secrets(instance)
    from flask_migrate import upgrade

    from app import create_app
    from app.services.customers.demo import write_demo_register
    from app.services.customers.importer import import_register
    from app.services.invoices.demo import write_demo_invoices
    from app.services.invoices.importer import import_invoices

    app = create_app()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
        customers_csv, services_csv, persons_file = write_demo_register(instance / "demo")
        import_register(
            customers_csv,
            services_csv,
            identity_key=app.config["IDENTITY_KEY"],
            allow_temporary=True,
        )
        import_invoices(*write_demo_invoices(instance / "demo"))
    provider = _start_provider(persons_file)
    try:
        _print_persons(persons_file)
        app.run(host=PORTAL[0], port=PORTAL[1], debug=False, use_reloader=False)
    finally:
        provider.terminate()
        provider.wait(timeout=10)


if __name__ == "__main__":
    main()
