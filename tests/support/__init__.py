"""Builders shared by tests of several areas (never imported from a test module)."""
