"""``python -m preflight scan``: the command is :mod:`preflight.checkov.scan`; this module keeps
the name the command table of ``preflight/__main__.py`` loads."""

from preflight.checkov.scan import add_arguments, run

__all__ = ["add_arguments", "run"]
