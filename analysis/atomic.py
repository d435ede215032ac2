"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every writer goes to a temporary file in the destination's folder (the same
file system, so ``os.replace`` is a rename) and renames it over the target
only once the content is complete. If writing fails the temporary file is
removed and the target is left as it was.
"""

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path, text):
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path, data):
    """JSON with NaN and infinities written as null, so strict readers accept it."""
    return write_text(path, json.dumps(finite(data), indent=2, sort_keys=True) + "\n")


def finite(data):
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(value) for value in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def write_csv(path, frame):
    with replacing(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def save_figure(fig, path):
    """Save a matplotlib figure; the format comes from the suffix of ``path``."""
    path = Path(path)
    with replacing(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."), dpi=120, bbox_inches="tight")
    return path
