"""Labels and tags that tie every resource to its environment and data class (playbook §2, §4)."""
