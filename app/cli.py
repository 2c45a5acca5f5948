"""The ``selfie`` console script: the same commands as ``flask --app wsgi …``.

An installed wheel has no ``wsgi.py`` beside it, so operators run
``selfie db upgrade`` or ``selfie customers import …`` instead.
"""

from __future__ import annotations

from flask.cli import FlaskGroup

from app import create_app

cli = FlaskGroup(
    create_app=create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Selfie, the customer self-service portal: database, register, terms, keys and audit.",
)


def main() -> None:
    cli.main(prog_name="selfie")
