"""Data sets that need no network: scikit-learn's bundled ones and MNIST files on disk.

Every loader returns a ``Dataset`` of finite float features and either integer
class labels (classification) or an N x m float target (regression). MNIST is
read from a ``.npz`` archive (loaded with ``allow_pickle=False``) or from the
four IDX ``.gz`` files; nothing is ever unpickled.
"""

import gzip
import math
import os
import struct
import zipfile
from dataclasses import dataclass

import numpy as np

from engine.errors import EngineError
from engine.schedule import check_dtype

DATASETS = ("digits", "diabetes", "mnist")
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_IDX = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


@dataclass
class Dataset:
    name: str
    task: str  # "classification" or "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int | None = None
    baseline_mse: float | None = None  # regression: least-squares linear fit on test

    @property
    def n_features(self):
        return self.x_train.shape[1]

    @property
    def n_outputs(self):
        return self.n_classes if self.task == "classification" else self.y_train.shape[1]


def load_dataset(name, path=None, dtype="float32", seed=0, test_fraction=0.25):
    """Load ``digits``, ``diabetes`` or ``mnist`` (which needs ``path``)."""
    check_dtype(dtype)
    if name == "digits":
        return _digits(dtype, seed, test_fraction)
    if name == "diabetes":
        return _diabetes(dtype, seed, test_fraction)
    if name == "mnist":
        if path is None:
            raise EngineError("dataset 'mnist' needs --data-path: an .npz file or a "
                              "folder with the four IDX .gz files")
        return load_mnist(path, dtype)
    raise EngineError(f"dataset {name!r} is unknown: use one of {', '.join(DATASETS)}")


def _digits(dtype, seed, test_fraction):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.data / 16.0  # pixel intensities 0..16 -> 0..1
    x_train, x_test, y_train, y_test = train_test_split(
        x, bunch.target, test_size=test_fraction, random_state=seed, stratify=bunch.target
    )
    return classification("digits", x_train, y_train, x_test, y_test, 10, dtype)


def _diabetes(dtype, seed, test_fraction):
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    bunch = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=test_fraction, random_state=seed
    )
    # standardise features and target with the training set's statistics
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    y_mean, y_std = y_train.mean(), y_train.std()
    y_train = ((y_train - y_mean) / y_std)[:, None]
    y_test = ((y_test - y_mean) / y_std)[:, None]

    # baseline: least squares with an intercept, scored on the test set
    design = np.hstack([x_train, np.ones((len(x_train), 1))])
    coef = np.linalg.lstsq(design, y_train, rcond=None)[0]
    fit = np.hstack([x_test, np.ones((len(x_test), 1))]) @ coef
    baseline = float(np.mean((fit - y_test) ** 2))

    check_finite("diabetes features", x_train)
    return Dataset("diabetes", "regression", x_train.astype(dtype), y_train.astype(dtype),
                   x_test.astype(dtype), y_test.astype(dtype), baseline_mse=baseline)


def classification(name, x_train, y_train, x_test, y_test, n_classes, dtype):
    """A classification Dataset after checking features and labels."""
    x_train = _features(f"{name} training features", x_train, dtype)
    x_test = _features(f"{name} test features", x_test, dtype)
    if x_train.shape[1] != x_test.shape[1]:
        raise EngineError(f"{name}: training features have {x_train.shape[1]} columns "
                          f"but test features {x_test.shape[1]}: they must match")
    return Dataset(name, "classification", x_train, _labels(f"{name} training labels",
                   y_train, len(x_train), n_classes), x_test,
                   _labels(f"{name} test labels", y_test, len(x_test), n_classes),
                   n_classes=n_classes)


def _check_real(what, x):
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise EngineError(f"{what} have dtype {x.dtype}: features must be integers "
                          "or real floats")


def _features(what, x, dtype):
    x = np.asarray(x)
    _check_real(what, x)
    if x.ndim < 2 or len(x) == 0:
        raise EngineError(f"{what} have shape {x.shape}: need at least one example")
    x = x.reshape(len(x), -1).astype(dtype)
    check_finite(what, x)
    return x


def _labels(what, y, count, n_classes):
    y = np.asarray(y)
    if y.shape != (count,):
        raise EngineError(f"{what} have shape {y.shape}: need one label per example ({count})")
    if not np.issubdtype(y.dtype, np.integer):
        raise EngineError(f"{what} have dtype {y.dtype}: labels must be integers")
    if y.min() < 0 or y.max() >= n_classes:
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise EngineError(f"{what}: label {int(bad)} is out of range 0..{n_classes - 1}")
    return y.astype(np.int64)


def check_finite(what, array):
    """Raise EngineError if ``array`` holds a NaN or an infinity."""
    finite = np.isfinite(array)
    if not finite.all():
        raise EngineError(f"{what} hold {int(finite.size - finite.sum())} non-finite "
                          "values: inputs must be finite")


def load_mnist(path, dtype="float32"):
    """MNIST from ``mnist.npz`` or a folder holding the four IDX ``.gz`` files.

    Pixels are scaled from 0..255 to 0..1; labels must lie in 0..9.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        arrays = {key: read_idx(os.path.join(path, name)) for key, name in MNIST_IDX.items()}
    elif os.path.isfile(path):
        arrays = _read_npz(path)
    else:
        state = "is neither a file nor a folder" if os.path.exists(path) else "does not exist"
        raise EngineError(f"MNIST path {path!r} {state}: give an .npz file or a "
                          "folder with the four IDX .gz files")
    for key in ("x_train", "x_test"):
        _check_real(f"MNIST {key} in {path!r}", arrays[key])
        if arrays[key].ndim != 3:
            raise EngineError(f"MNIST {key} in {path!r} has shape {arrays[key].shape}: "
                              "images must be N x rows x columns")
    scale = 1.0 / 255.0
    return classification("mnist", arrays["x_train"] * scale, arrays["y_train"],
                          arrays["x_test"] * scale, arrays["y_test"], 10, dtype)


def _read_npz(path):
    not_npz = f"MNIST file {path!r} is not a readable .npz archive"
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        # numpy's own message suggests allow_pickle, which this loader never uses
        raise EngineError(f"{not_npz}: it must be a zip of .npy arrays") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise EngineError(f"{not_npz}: it holds a single array, not the arrays "
                          f"{', '.join(MNIST_KEYS)}")
    with loaded as archive:
        missing = [key for key in MNIST_KEYS if key not in archive.files]
        if missing:
            raise EngineError(f"MNIST file {path!r} lacks {', '.join(missing)}: "
                              f"it must hold {', '.join(MNIST_KEYS)}")
        try:
            return {key: archive[key] for key in MNIST_KEYS}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise EngineError(f"{not_npz}: {reason}") from None


# IDX type code of unsigned bytes, the only element type MNIST uses
IDX_UBYTE = 0x08


def read_idx(path):
    """One gzip-compressed IDX file: magic 0x0000, type code, ndim, big-endian dims, data."""
    if not os.path.isfile(path):
        raise EngineError(f"MNIST file {path!r} is missing")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise EngineError(f"MNIST file {path!r} is not a complete gzip file ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise EngineError(f"MNIST file {path!r} has no IDX header: it must start with 0x0000")
    code, ndim = raw[2], raw[3]
    if code != IDX_UBYTE or ndim not in (1, 3):
        raise EngineError(f"MNIST file {path!r} has type code {code:#04x} and {ndim} "
                          "dimensions: need unsigned bytes (0x08) in 1 or 3 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise EngineError(f"MNIST file {path!r} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + math.prod(shape)
    if len(raw) != expected:
        raise EngineError(f"MNIST file {path!r} holds {len(raw)} bytes but its header "
                          f"{shape} needs {expected}: it is truncated or malformed")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)
