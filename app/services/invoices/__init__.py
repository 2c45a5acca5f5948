"""Invoices: billing's import, the scoped reads behind the pages, and Finnish payment details."""
