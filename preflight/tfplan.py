"""``python -m preflight tfplan``: the command is :mod:`preflight.checkov.tfplan`; this module
keeps the name the command table of ``preflight/__main__.py`` loads."""

from preflight.checkov.tfplan import add_arguments, run

__all__ = ["add_arguments", "run"]
