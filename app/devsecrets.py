"""Write development secrets once, for ``make demo`` (``python -m app.devsecrets DIR``)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

from app.settings import DEV_SECRETS_FILE, REQUIRED_SECRETS


def ensure_secrets(instance: Path) -> Path:
    """Create ``instance/secrets.json`` with fresh random keys unless it exists."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / DEV_SECRETS_FILE
    if not path.exists():
        values = {name: secrets.token_urlsafe(48) for name in REQUIRED_SECRETS}
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")
        path.chmod(0o600)
    return path


if __name__ == "__main__":
    print(ensure_secrets(Path(sys.argv[1] if len(sys.argv) > 1 else "instance")))
