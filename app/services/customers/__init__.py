"""Customers: the register import from billing, and linking accounts to customer records."""
