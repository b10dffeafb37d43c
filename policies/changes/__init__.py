"""Changes: the §9 change calendar (the end-of-quarter freeze)."""
