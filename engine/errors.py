"""The one error type for user-facing failures.

It is a ValueError, so a bad argument can be caught as one; the command line
prints its message on one line and exits with status 2.
"""


class EngineError(ValueError):
    """A bad argument or input file, with the value and the rule in its message."""
