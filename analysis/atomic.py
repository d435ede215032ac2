"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every writer goes to a temporary file in the destination's folder (the same
file system, so ``os.replace`` is a rename) and renames it over the target
only once the content is complete. If writing fails the temporary file is
removed and the target is left as it was. A new file gets the permissions a
plain ``open`` would give a new file (0o666 less the umask), not mkstemp's 0o600.

``staging`` does the same for a set of files: all are written under a hidden
folder and moved into place only once every one is complete. ``read_json``
reads back what ``write_json`` wrote, checked.
"""

import contextlib
import errno
import json
import math
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_mode():
    """0o666 less the umask: what ``open(path, "w")`` gives a new file."""
    umask = os.umask(0o022)  # reading the umask means setting it
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def staging(out_dir):
    """Yield a hidden folder inside ``out_dir``; on success move its files into place.

    Every file written under the folder moves (``os.replace``) to the same
    relative path under ``out_dir``, but only after the block has finished,
    so a failure part-way leaves the old outputs untouched. On any failure
    the folder is removed, and an OSError about a file inside it names the
    file's final path instead.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=".staging.", dir=out_dir))
    try:
        yield root
        publish(root, out_dir)
    except OSError as error:
        for attribute in ("filename", "filename2"):
            name = getattr(error, attribute)
            if name and Path(name).is_relative_to(root):
                setattr(error, attribute, str(out_dir / Path(name).relative_to(root)))
        raise
    finally:
        shutil.rmtree(root, ignore_errors=True)


def publish(root, out_dir):
    """Move every file under ``root`` to the same place under ``out_dir``.

    Folders are made and targets checked first, so that what can fail
    fails before any file has moved.
    """
    files = sorted(p for p in root.rglob("*") if p.is_file())
    targets = [out_dir / p.relative_to(root) for p in files]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    for source, target in zip(files, targets):
        os.replace(source, target)


def write_text(path, text):
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path, data):
    """JSON with NaN and infinities written as null, so strict readers accept it."""
    return write_text(path, json.dumps(finite(data), indent=2, sort_keys=True) + "\n")


def read_json(path, name, check, remedy):
    """The JSON stored at ``path``, or None if there is none.

    ``check(stored)`` raises ValueError, KeyError, TypeError, IndexError or
    AttributeError when the content is not what the caller stores there; that,
    invalid JSON or an unreadable file gives one EngineError naming ``name``
    (with ``remedy`` telling the user what to do).
    """
    from engine.errors import EngineError

    path = Path(path)
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        check(stored)
    except OSError as error:
        raise EngineError(f"{name} cannot be read: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise EngineError(f"{name} {remedy}") from None
    return stored


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
