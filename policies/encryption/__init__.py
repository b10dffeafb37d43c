"""Encryption at rest and in transit (playbook §6 Data Protection)."""
