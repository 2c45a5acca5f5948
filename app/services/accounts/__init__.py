"""Accounts: creation, passwords, login attempts, terms acceptance (no HTTP here)."""
