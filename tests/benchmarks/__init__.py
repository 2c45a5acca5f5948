"""Benchmarks, run with ``make benchmark`` (``python -m tests.benchmarks.run``), never by pytest."""
