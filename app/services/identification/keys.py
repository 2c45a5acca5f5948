"""The portal's own JOSE keys for the FTN profile: signing (request objects,
client assertions) and decryption (encrypted ID tokens and userinfo).

Keys live in private JWK files that the settings point at; ``flask --app
wsgi keys generate`` creates them. Their public halves are published as a
JWKS so the broker can fetch them.
"""

from __future__ import annotations

import json
import os
import time
from functools import lru_cache
from pathlib import Path

from joserfc.jwk import KeySet, RSAKey

KEY_SIZE = 3072


def generate_key_files(directory: Path) -> tuple[Path, Path]:
    """Create ``signing.jwk.json`` and ``encryption.jwk.json`` (mode 0600) in ``directory``.

    Existing files are never overwritten: rotating keys is a deliberate act.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d")
    paths = []
    for use, name in (("sig", "signing"), ("enc", "encryption")):
        path = directory / f"{name}.jwk.json"
        if path.exists():
            raise FileExistsError(path)
        key = RSAKey.generate_key(KEY_SIZE, parameters={"use": use, "kid": f"selfie-{use}-{stamp}"})
        key_dict = key.as_dict(private=True)
        key_dict["alg"] = "RS256" if use == "sig" else "RSA-OAEP"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(key_dict, handle, indent=2)
        paths.append(path)
    return paths[0], paths[1]


@lru_cache(maxsize=8)
def load_private_key(path: str) -> RSAKey:
    """Read a private JWK file once per path."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return RSAKey.import_key(data)


def public_jwks(paths: list[str]) -> dict:
    """The public halves of the configured keys, for ``/.well-known/jwks.json``."""
    keys = [load_private_key(p) for p in paths if p]
    return KeySet(keys).as_dict(private=False)
