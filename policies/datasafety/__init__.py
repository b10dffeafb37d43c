"""Data safety: stateful resources cannot be deleted by a stray `pulumi up`."""
