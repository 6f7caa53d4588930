"""Yingke (迎客): a CRM for hotels and restaurants."""

__version__ = "0.1.0"
