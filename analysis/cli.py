"""One way for every script to fail: a single line on stderr and exit status 2.

Bad input raises EngineError (the project's user-facing error, a ValueError)
with the value and the rule in its message; ``run`` prints it after the
script's name, its lines joined into one. Argument errors take the same form
through the engine's Parser, and a file that cannot be written or read
(OSError) is reported the same way, naming the path. Ctrl-C prints
"<script>: interrupted" and exits 130, the shell's status for SIGINT.
"""

import argparse
import contextlib
import sys
from pathlib import Path

from analysis.table import one_line
from engine.cli import INTERRUPTED, Parser, check_interrupted, interrupts_remembered
from engine.errors import EngineError

__all__ = ["Parser", "check_interrupted", "nonempty_path", "output_folder", "run",
           "script_parser"]


def run(main, argv=None):
    """Call ``main(argv)``; turn EngineError or OSError into one stderr line and exit 2."""
    prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "analysis"
    try:
        with interrupts_remembered():
            status = main(argv)
            check_interrupted()
        return status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except EngineError as error:
        message = str(error)
    except OSError as error:
        message = f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    print(f"{prog}: error: {one_line(message)}", file=sys.stderr)
    return 2


def script_parser(prog, description, table=False):
    """A Parser with the scripts' common --out (and, with ``table``, --table)."""
    parser = Parser(prog=prog, description=description)
    parser.add_argument("--out", type=nonempty_path, default="results",
                        help="output folder (default results)")
    if table:
        parser.add_argument("--table", type=nonempty_path,
                            help="sweep CSV (default <out>/sweep/sweep.csv)")
    return parser


def nonempty_path(text):
    """An argparse type: a non-empty path (an empty one would mean the current folder)."""
    if not text:
        raise argparse.ArgumentTypeError("'' is invalid: give a folder or file name")
    return text


@contextlib.contextmanager
def output_folder(path):
    """Report an OSError on ``path`` or a file under it as one about the output folder."""
    path = Path(path)
    try:
        yield path
    except OSError as error:
        name = Path(error.filename) if error.filename else None
        if name is None or not (name == path or name.is_relative_to(path)):
            raise
        what = f"output folder {str(path)!r}"
        if path.exists() and not path.is_dir():
            raise EngineError(f"{what} is a file: give a folder") from None
        if name != path and not isinstance(error, (FileNotFoundError, NotADirectoryError)):
            what += f": cannot write {str(name)!r}"  # else: the folder cannot be there
        raise EngineError(f"{what}: {error.strerror or error}") from None
