"""Credentials: secrets come from Secret Manager, rotate quarterly, and only workloads read them."""
