"""Inventory: the pack fails closed on what it does not know (playbook §6 Access Control)."""
