"""Shared test builders: the one place tests import helpers from (never another test module)."""
