"""One way for every script to fail: a single line on stderr and exit status 2.

Bad input raises EngineError (the project's user-facing error, a ValueError)
with the value and the rule in its message; ``run`` prints it after the
script's name. Argument errors take the same form through the engine's
Parser, and a file that cannot be written or read (OSError) is reported the
same way, naming the path.
"""

import sys

from engine.cli import Parser
from engine.errors import EngineError

__all__ = ["Parser", "run"]


def run(main, argv=None):
    """Call ``main(argv)``; turn EngineError or OSError into one stderr line and exit 2."""
    prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "analysis"
    try:
        return main(argv)
    except EngineError as error:
        message = str(error)
    except OSError as error:
        message = f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2
