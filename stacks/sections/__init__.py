"""Typed sections of the stack configuration, one module per area; composed in stacks/config.py."""
