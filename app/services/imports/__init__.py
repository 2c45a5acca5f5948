"""Imports from the operator's other systems share one runner (``runner``), one way of
reading CSV files (``csvfiles``) and one history (``history``)."""
