"""Shared machinery of the policy pack: metadata, config and exemptions, property access."""
