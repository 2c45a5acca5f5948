"""Identification methods offered on "Välj autentiseringsmetod", from a settings file.

Each method names itself in every portal language and carries the extra
authorization parameters its broker expects (``acr_values``, an IdP hint…).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.i18n import LANGUAGES

_ID = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
#: Parameters the portal sets itself; a methods file may not override them.
_RESERVED = {
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "response_type",
    "scope",
    "request",
    "request_uri",
    "ui_locales",
    "ftn_spname",
}


class MethodsFileError(ValueError):
    """The methods file is unusable; the message says where."""


@dataclass(frozen=True)
class Method:
    id: str
    labels: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["sv"]


@lru_cache(maxsize=8)
def load_methods(path: str) -> tuple[Method, ...]:
    """Read and check the methods file once per path (cached)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MethodsFileError(f"{path}: {error}") from error
    if not isinstance(raw, list) or not raw:
        raise MethodsFileError(f"{path}: expected a non-empty list of methods")
    methods = tuple(_method(path, index, item) for index, item in enumerate(raw, start=1))
    if len({m.id for m in methods}) != len(methods):
        raise MethodsFileError(f"{path}: method ids must be unique")
    return methods


def _method(path: str, index: int, item: object) -> Method:
    where = f"{path}: method {index}"
    if not isinstance(item, dict):
        raise MethodsFileError(f"{where}: expected an object")
    method_id = item.get("id")
    if not isinstance(method_id, str) or not _ID.match(method_id):
        raise MethodsFileError(f"{where}: 'id' must be a short lower-case name")
    labels = item.get("labels")
    if not isinstance(labels, dict) or any(
        not isinstance(labels.get(lang), str) or not labels[lang].strip() for lang in LANGUAGES
    ):
        raise MethodsFileError(f"{where}: 'labels' needs a text for each of {', '.join(LANGUAGES)}")
    params = item.get("params", {})
    if not isinstance(params, dict) or any(not isinstance(v, str) for v in params.values()):
        raise MethodsFileError(f"{where}: 'params' must map names to strings")
    if _RESERVED & params.keys():
        raise MethodsFileError(f"{where}: 'params' may not set {sorted(_RESERVED & params.keys())}")
    return Method(id=method_id, labels=dict(labels), params=dict(params))
