"""The bootstrap program: Pulumi state backend, stack secrets keys and keyless CI identity.

A second, small Pulumi project (``bootstrap/Pulumi.yaml``, stack ``org``) that an operator
runs once per organisation before any environment stack exists. See docs/bootstrap.md.
"""
