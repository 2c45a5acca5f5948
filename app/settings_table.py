"""Every setting once: its name, how the environment's text is parsed, its
default, whether it is required, and its line in README's settings table.

``app.settings`` reads them; a test keeps README's table equal to
``readme_row`` of each, so code and documentation cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass


def text(raw: str) -> str:
    """Keys, URLs, names and contact details: exactly as written (``1e5`` stays text)."""
    return raw


def json_value(raw: str) -> object:
    """Numbers and switches: JSON where it parses (``1`` is 1, ``true`` is True), else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class Setting:
    """One setting: how it is read, its default and its README line, in one place.

    ``required`` settings have no default: outside development the portal
    refuses to start without them. ``shown`` is the default as README's
    table words it, when the bare value would not say it (a derived path).
    ``in_config`` is False for the one setting read before the app exists.
    """

    name: str
    default: object
    description: str
    parse: Callable[[str], object] = text
    required: bool = False
    shown: str = ""
    in_config: bool = True

    @property
    def shown_default(self) -> str:
        if self.required:
            return "– (required)"
        if self.shown:
            return self.shown
        if self.default == "":
            return "empty"
        value = json.dumps(self.default) if isinstance(self.default, bool) else self.default
        return f"`{value}`"

    @property
    def readme_row(self) -> str:
        return f"| `SELFIE_{self.name}` | {self.shown_default} | {self.description} |"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "production",
        "`production` or `development` (anything else refuses to start); "
        "`development` allows plain http (cookies without Secure, an http broker on loopback) "
        "and reads missing secrets from `instance/secrets.json`",
    ),
    Setting("SECRET_KEY", None, "signs CSRF tokens and flashes", required=True),
    Setting(
        "IDENTITY_KEY",
        None,
        "HMAC key of identity references. **Never change it** once "
        "customers are imported: every reference depends on it",
        required=True,
    ),
    Setting(
        "INSTANCE_PATH",
        "",
        "where development secrets, the SQLite database and generated keys live",
        shown="`instance/` beside a checkout; `<venv>/var/app-instance` for an installed wheel",
        in_config=False,
    ),
    Setting(
        "DATABASE_URL",
        "",
        "SQLAlchemy URL, e.g. `postgresql+psycopg://selfie@db/selfie`",
        shown="SQLite in `instance/selfie.sqlite3`",
    ),
    Setting(
        "REDIS_URL",
        "",
        "when set, sessions and rate-limit counters live in Redis; "
        "otherwise sessions are in the database and counters in memory",
    ),
    Setting(
        "IDENTITY_ALLOW_TEMPORARY",
        False,
        "accept temporary identity codes (individual "
        "number 900–999), as test identification environments and the demo use",
        parse=json_value,
    ),
    # The operator, as published (shared/wording.md).
    Setting("OPERATOR_NAME", "JNT", "the operator's name on every page"),
    Setting("SUPPORT_PHONE", "06 786 8222", "customer service's phone (a `tel:` link)"),
    Setting("SUPPORT_EMAIL", "kundtjanst@jnt.fi", "customer service's e-mail (a `mailto:` link)"),
    Setting(
        "SUPPORT_HOURS",
        "weekdays",
        "opening hours; the word `weekdays` is translated, any other text is shown as written",
    ),
    Setting(
        "BASE_URL",
        "",
        "the portal's public address, e.g. `https://selfie.example.fi`, for links made "
        "outside a request (the staff set-up link of `staff add`); in development "
        "`http://127.0.0.1:5000` when empty",
    ),
    Setting(
        "INVOICE_BIC",
        "",
        "the BIC of the operator's bank, shown beside the IBAN in an open invoice's payment "
        "details (left out when empty)",
    ),
    # The OpenID Connect identification broker.
    Setting(
        "OIDC_ISSUER",
        "",
        "the broker's issuer URL (discovery at "
        "`/.well-known/openid-configuration`); must be https, http only on "
        "localhost/127.0.0.1",
        shown="–",
    ),
    Setting("OIDC_CLIENT_ID", "selfie", "the portal's client id at the broker"),
    Setting("OIDC_CLIENT_SECRET", "", "the client secret (plain profile)"),
    Setting(
        "OIDC_IDENTITY_CLAIM",
        "hetu",
        "the claim carrying the identity code: Idura `hetu`, "
        "OP `personal_identity_code`, Telia `urn:oid:1.2.246.21`, Signicat `nin` or "
        "`ftn_hetu`",
    ),
    Setting("OIDC_PROFILE", "plain", "`ftn` for the Traficom FTN profile (below)"),
    Setting(
        "OIDC_SIGNING_KEY_FILE", "", "private JWK for request objects and `private_key_jwt` (FTN)"
    ),
    Setting(
        "OIDC_ENCRYPTION_KEY_FILE", "", "private JWK that decrypts ID tokens and userinfo (FTN)"
    ),
    Setting("OIDC_SP_NAME", "Selfie", "`ftn_spname`, the service name the broker shows"),
    Setting(
        "OIDC_METHODS_FILE",
        "",
        "the identification methods: id, a label per language, "
        "extra authorization parameters such as `acr_values`",
        shown="`app/services/identification/methods.json`",
    ),
    Setting("OIDC_TIMEOUT", 10, "seconds to wait for the broker", parse=json_value),
    # Sessions and security.
    Setting("SESSION_IDLE_MINUTES", 30, "idle timeout of a session", parse=json_value),
    Setting("SESSION_ABSOLUTE_HOURS", 12, "absolute lifetime of a session", parse=json_value),
    Setting(
        "PROXY_HOPS",
        0,
        "trusted reverse proxies in front (X-Forwarded-For/Proto/Host); keep 0 without a proxy",
        parse=json_value,
    ),
    Setting(
        "AUDIT_RETENTION_DAYS",
        365,
        "how long `audit prune` keeps security events",
        parse=json_value,
    ),
    Setting("RATELIMIT_ENABLED", True, "rate limits (Flask-Limiter)", parse=json_value),
    Setting(
        "PASSWORD_HASH_MEMORY_KIB",
        19456,
        "argon2id memory per password hash (KiB); the default is OWASP's minimum (19 MiB); "
        "each worker needs this much extra while it verifies",
        parse=json_value,
    ),
    Setting(
        "PASSWORD_HASH_ITERATIONS",
        2,
        "argon2id iterations (OWASP minimum with 19 MiB: 2)",
        parse=json_value,
    ),
    Setting("PASSWORD_HASH_PARALLELISM", 1, "argon2id lanes", parse=json_value),
    Setting(
        "LOG_FORMAT",
        "text",
        "`text` or `json`: JSON lines (one object per log record; request lines carry "
        "`request_id`, `method`, `path`, `status`, `duration_ms`)",
    ),
    Setting(
        "IMPORT_SHRINK_LIMIT_PERCENT",
        10,
        "the largest share (per cent) of the stored customers, services or invoices that a "
        "snapshot import may remove without `--allow-shrink`; the share alone decides, however "
        "small the register",
        parse=json_value,
    ),
    # Requests to customer service.
    Setting(
        "PRODUCT_CATALOGUE_FILE",
        "",
        "the products a service may be changed to (JSON: id, kind, monthly price, "
        "a name and description per language; see *Requests*)",
        shown="`app/services/requests/products.json`",
    ),
    Setting(
        "TERMINATION_NOTICE_DAYS",
        14,
        "notice period in days: the earliest end date a customer may ask for is today plus this",
        parse=json_value,
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
#: Each setting's default, for code that runs outside an app (a CLI helper, a unit test).
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
#: Settings that must be present outside development.
REQUIRED_SECRETS = tuple(setting.name for setting in SETTINGS if setting.required)
