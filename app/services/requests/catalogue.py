"""The product catalogue a customer may switch a service to: a data file the operator edits.

``products.json`` beside this module is the shipped default (reached through
``importlib.resources``, so an installed wheel has it); the setting
``SELFIE_PRODUCT_CATALOGUE_FILE`` names the operator's own. Format::

    {"products": [
      {"id": "fiber-250", "kind": "broadband", "monthly_price": "36.90",
       "name": {"sv": "Fiber 250", "fi": "Kuitu 250", "en": "Fibre 250"},
       "description": {"sv": "…", "fi": "…", "en": "…"}}
    ]}

Every product needs a unique short id, a service kind the register knows, a
non-negative monthly price (a decimal string, euros with VAT) and a name and
description in each portal language. The file is checked whole when the
portal starts: a bad file stops it with the product and the problem named.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from app.i18n import LANGUAGES
from app.models import ServiceKind

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class CatalogueError(ValueError):
    """The catalogue file is unusable; the message names the file and the product."""


@dataclass(frozen=True)
class Product:
    id: str
    kind: ServiceKind
    monthly_price: Decimal
    names: dict[str, str]
    descriptions: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["sv"]

    def description(self, language: str) -> str:
        return self.descriptions.get(language) or self.descriptions["sv"]


def catalogue_path(setting: str) -> str:
    """The operator's file, or the shipped default when the setting is empty."""
    return setting or str(files("app.services.requests") / "products.json")


@lru_cache(maxsize=8)
def load_catalogue(path: str) -> tuple[Product, ...]:
    """Read and check the catalogue once per path (cached for the process)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    items = raw.get("products") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise CatalogueError(f"{path}: expected an object with a list 'products'")
    products = tuple(_product(f"{path}: product {n}", item) for n, item in enumerate(items, 1))
    if len({p.id for p in products}) != len(products):
        raise CatalogueError(f"{path}: product ids must be unique")
    return products


def _texts(where: str, item: dict, key: str) -> dict[str, str]:
    texts = item.get(key)
    if not isinstance(texts, dict) or any(
        not isinstance(texts.get(lang), str) or not texts[lang].strip() for lang in LANGUAGES
    ):
        raise CatalogueError(f"{where}: '{key}' needs a text for each of {', '.join(LANGUAGES)}")
    return {lang: texts[lang].strip() for lang in LANGUAGES}


def _product(where: str, item: object) -> Product:
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: expected an object")
    product_id = item.get("id")
    if not isinstance(product_id, str) or not _ID.match(product_id):
        raise CatalogueError(f"{where}: 'id' must be a short lower-case name")
    where = f"{where} ({product_id})"
    try:
        kind = ServiceKind(item.get("kind"))
    except ValueError:
        kinds = ", ".join(k.value for k in ServiceKind)
        raise CatalogueError(f"{where}: 'kind' must be one of {kinds}") from None
    try:
        price = Decimal(str(item.get("monthly_price")))
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise CatalogueError(f"{where}: 'monthly_price' must be euros like \"29.90\"")
    return Product(
        id=product_id,
        kind=kind,
        monthly_price=price,
        names=_texts(where, item, "name"),
        descriptions=_texts(where, item, "description"),
    )


def choices_for(products: tuple[Product, ...], kind: ServiceKind, current_name: str):
    """The products a service of ``kind`` may switch to: same kind, not the one it has
    (matched by the service's name in any language)."""
    current = current_name.casefold()
    return [
        p
        for p in products
        if p.kind == kind and current not in {n.casefold() for n in p.names.values()}
    ]
