"""Audit trail and log retention (playbook §4 Logs and §6 Audit Trail)."""
