"""Alerting: the §4 alerts exist with the playbook's numbers, page by severity, escalate in the
playbook's order, and the §9 maintenance windows mute them."""
