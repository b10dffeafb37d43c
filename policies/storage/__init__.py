"""Cloud Storage access controls (playbook §6 Access Control and Data Protection)."""
