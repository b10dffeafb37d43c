"""IAM: least privilege (playbook §6 Access Control)."""
