"""The argument parser the operator scripts share: a usage error is one line and exit code 2.

The scripts run as files (``python scripts/<name>.py``), so this folder is first on ``sys.path``
and they import this module by its bare name, as ``rollback_drill.py`` imports ``rollback``.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

EXIT_USAGE = 2


def parser_class(command: str) -> type[argparse.ArgumentParser]:
    """An ``ArgumentParser`` class whose errors read ``<command>: error: <message> (see --help)``.

    A class rather than an instance, so that subcommands use it too (``parser_class=`` of
    ``add_subparsers``).
    """

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.exit(EXIT_USAGE, f"{command}: error: {message} (see --help)\n")

    return Parser
