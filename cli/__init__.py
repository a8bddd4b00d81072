"""Tandem's command-line interface: parse, call the core, render."""
