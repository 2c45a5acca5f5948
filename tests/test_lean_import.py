"""A web worker does not import what only commands, the importer or the demo need."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.servers import REPOSITORY as PROJECT_ROOT

HEAVY = [
    "alembic",  # migrations: `flask db`, tests, make demo
    "flask_migrate",
    "app.services.customers.importer",  # `flask customers import`
    "app.services.customers.demo",  # `flask customers demo`, make demo
    "app.devserver",
    "zxcvbn",  # the common-password list: loaded at the first password check
    "zxcvbn.frequency_lists",
    "faker",
]

PROGRAM = """
import json, sys
from app import create_app
create_app({"SECRET_KEY": "k", "IDENTITY_KEY": "k", "DATABASE_URL": "sqlite://"})
print(json.dumps(sorted(sys.modules)))
"""


def test_creating_the_app_imports_no_heavy_module(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=PROJECT_ROOT,
        env={"SELFIE_ENV": "development", "SELFIE_INSTANCE_PATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "app.web" in loaded, "the program did build the app"
    assert [name for name in HEAVY if name in loaded] == []


def test_the_migrations_still_load_when_used(tmp_path):
    program = (
        "from app import create_app\n"
        "from flask_migrate import upgrade\n"
        f"app = create_app({{'SECRET_KEY': 'k', 'IDENTITY_KEY': 'k', "
        f"'DATABASE_URL': 'sqlite:///{tmp_path}/m.sqlite3'}})\n"
        "with app.app_context():\n    upgrade()\n"
        "import sqlalchemy as sa\n"
        f"print(sa.inspect(sa.create_engine('sqlite:///{tmp_path}/m.sqlite3')).get_table_names())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=PROJECT_ROOT,
        env={"SELFIE_ENV": "development", "SELFIE_INSTANCE_PATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "accounts" in result.stdout and "sessions" in result.stdout
