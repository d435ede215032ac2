import gzip
import struct

import numpy as np
import pytest

from engine.data import MNIST_IDX, load_dataset, load_mnist, read_idx
from engine.errors import EngineError


def tiny_mnist(rng, count=6):
    images = rng.integers(0, 256, (count, 4, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    return images, labels


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.fixture
def idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    arrays["x_train"], arrays["y_train"] = tiny_mnist(rng, 6)
    arrays["x_test"], arrays["y_test"] = tiny_mnist(rng, 4)
    for key, name in MNIST_IDX.items():
        write_idx(tmp_path / name, arrays[key])
    return tmp_path, arrays


def test_idx_files_load_scaled_and_flattened(idx_folder):
    folder, arrays = idx_folder
    data = load_mnist(folder)
    assert data.x_train.shape == (6, 12) and data.x_train.dtype == np.float32
    np.testing.assert_array_equal(data.x_train * 255, arrays["x_train"].reshape(6, 12))
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])
    assert data.n_classes == 10


def test_npz_loads_like_idx(idx_folder, tmp_path):
    folder, arrays = idx_folder
    np.savez(tmp_path / "mnist.npz", **arrays)
    from_npz, from_idx = load_mnist(tmp_path / "mnist.npz"), load_mnist(folder)
    np.testing.assert_array_equal(from_npz.x_train, from_idx.x_train)
    np.testing.assert_array_equal(from_npz.y_train, from_idx.y_train)


def test_npz_with_objects_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "mnist.npz"
    objects = np.array([{"a": 1}], dtype=object)
    np.savez(path, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(EngineError, match="not a readable .npz"):
        load_mnist(path)


def test_npz_missing_a_key(tmp_path):
    np.savez(tmp_path / "m.npz", x_train=np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(EngineError, match="lacks y_train, x_test, y_test"):
        load_mnist(tmp_path / "m.npz")


def test_npz_that_is_not_an_archive(tmp_path):
    (tmp_path / "m.npz").write_bytes(b"not a zip file")
    with pytest.raises(EngineError, match="not a readable"):
        load_mnist(tmp_path / "m.npz")


def test_truncated_gzip(idx_folder):
    folder, _ = idx_folder
    path = folder / MNIST_IDX["x_train"]
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(EngineError, match="not a complete gzip"):
        load_mnist(folder)


def test_idx_data_shorter_than_its_header_says(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(7))
    with pytest.raises(EngineError, match="holds 15 bytes but its header"):
        read_idx(path)


def test_idx_with_a_bad_magic(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x50\x4b\x03\x04rest")
    with pytest.raises(EngineError, match="no IDX header"):
        read_idx(path)


def test_idx_with_an_unsupported_type(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 1) + bytes(4))
    with pytest.raises(EngineError, match="type code 0x0d"):
        read_idx(path)


def test_missing_idx_file(idx_folder):
    folder, _ = idx_folder
    (folder / MNIST_IDX["y_test"]).unlink()
    with pytest.raises(EngineError, match="t10k-labels-idx1-ubyte.gz' is missing"):
        load_mnist(folder)


def test_label_out_of_range(idx_folder):
    folder, arrays = idx_folder
    arrays["y_train"][2] = 12
    write_idx(folder / MNIST_IDX["y_train"], arrays["y_train"])
    with pytest.raises(EngineError, match="label 12 is out of range 0..9"):
        load_mnist(folder)


def test_label_count_mismatch(tmp_path):
    rng = np.random.default_rng(1)
    x, y = tiny_mnist(rng, 5)
    np.savez(tmp_path / "m.npz", x_train=x, y_train=y[:4], x_test=x, y_test=y)
    with pytest.raises(EngineError, match="one label per example"):
        load_mnist(tmp_path / "m.npz")


def test_non_finite_features_are_refused(tmp_path):
    x = np.ones((3, 2, 2))
    x[1, 0, 1] = np.nan
    y = np.zeros(3, np.int64)
    np.savez(tmp_path / "m.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    with pytest.raises(EngineError, match="1 non-finite"):
        load_mnist(tmp_path / "m.npz")


def test_digits_is_bundled_and_stratified():
    data = load_dataset("digits", seed=0)
    assert data.x_train.shape[1] == 64 and data.n_classes == 10
    assert len(data.x_train) + len(data.x_test) == 1797
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    totals = np.bincount(np.concatenate([data.y_train, data.y_test]))
    assert np.all(np.abs(np.bincount(data.y_test) - 0.25 * totals) < 1)


def test_diabetes_has_a_least_squares_baseline():
    data = load_dataset("diabetes", dtype="float64")
    assert data.task == "regression" and data.y_train.shape[1] == 1
    # the baseline is the best linear fit: no least-squares solution does better in-sample
    assert 0.3 < data.baseline_mse < 0.8


def test_unknown_dataset():
    with pytest.raises(EngineError, match="'cifar' is unknown"):
        load_dataset("cifar")


@pytest.fixture
def arrays():
    rng = np.random.default_rng(2)
    x_train, y_train = tiny_mnist(rng, 6)
    x_test, y_test = tiny_mnist(rng, 4)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def test_truncated_npz(arrays, tmp_path):
    np.savez(tmp_path / "m.npz", **arrays)
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "m.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(EngineError, match="not a readable .npz archive"):
        load_mnist(tmp_path / "m.npz")


def test_npz_with_a_corrupted_member(arrays, tmp_path):
    np.savez_compressed(tmp_path / "m.npz", **arrays)
    data = bytearray((tmp_path / "m.npz").read_bytes())
    data[100] ^= 0xFF
    (tmp_path / "m.npz").write_bytes(bytes(data))
    with pytest.raises(EngineError, match="not a readable .npz archive"):
        load_mnist(tmp_path / "m.npz")


def test_a_single_array_is_not_an_archive(arrays, tmp_path):
    np.save(tmp_path / "m.npy", arrays["x_train"])
    (tmp_path / "m.npy").rename(tmp_path / "m.npz")
    with pytest.raises(EngineError, match="holds a single array"):
        load_mnist(tmp_path / "m.npz")


@pytest.mark.parametrize("bad", [np.full((6, 4, 3), "a"), np.ones((6, 4, 3)) + 1j])
def test_features_must_be_real_numbers(arrays, tmp_path, bad):
    np.savez(tmp_path / "m.npz", **{**arrays, "x_train": bad})
    with pytest.raises(EngineError, match="features must be integers or real floats"):
        load_mnist(tmp_path / "m.npz")


def test_a_path_that_is_neither_file_nor_folder():
    with pytest.raises(EngineError, match="neither a file nor a folder"):
        load_mnist("/dev/null")
