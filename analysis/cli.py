"""One way for every script to fail: a single line on stderr and exit status 2.

Bad input raises EngineError (the project's user-facing error, a ValueError)
with the value and the rule in its message; ``run`` prints it after the
script's name. Argument errors from argparse take the same one-line form.
"""

import argparse
import sys

from engine.errors import EngineError


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block) and exit status 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def run(main, argv=None):
    """Call ``main(argv)``; turn EngineError into one stderr line and exit 2."""
    try:
        return main(argv)
    except EngineError as error:
        prog = (
            sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "analysis"
        )
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
