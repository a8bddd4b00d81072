"""Tandem: rule-based reverse-mentoring pairing with a tamper-evident audit trail."""

__version__ = "0.1.0"
