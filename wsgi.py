"""WSGI entry point: ``flask --app wsgi …`` and application servers use ``wsgi:app``."""

from app import create_app

app = create_app()
