"""genzoo.data: IDX files, where data is found, splits, binarization, image folders and batches."""

from __future__ import annotations

import collections
import functools
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import FILES, UNREACHABLE, write_fake_mnist
from PIL import Image

from genzoo.data import (
    DATASETS,
    ImageSet,
    available_locally,
    binarize,
    load_dataset,
    read_idx,
    sources,
    to_symmetric,
    to_unit,
)
from genzoo.data.config import DataConfig
from genzoo.data.idx import write_idx
from genzoo.errors import GenzooError

SHARED_DATA = Path(os.environ.get("GENZOO_TEST_DATA", Path(__file__).parents[2] / "shared" / "data"))


@pytest.fixture(autouse=True)
def isolated(offline):
    """Every test here runs offline, with a private cache."""


# --- IDX files ---------------------------------------------------------------------------------------------

def test_idx_bytes_follow_the_format(tmp_path):
    write_idx(tmp_path / "a", np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert (tmp_path / "a").read_bytes() == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5])
    write_idx(tmp_path / "b", np.array([-2, 258], dtype=np.int16))
    assert (tmp_path / "b").read_bytes() == bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x02])


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("array", [np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
                                   np.array([-128, 0, 127], dtype=np.int8),
                                   np.array([[-70000, 1], [2, 70000]], dtype=np.int32),
                                   np.array([0.5, -1.25e-3], dtype=np.float32),
                                   np.array([np.pi, -1e300]), np.zeros((0, 5), dtype=np.uint8)])
def test_idx_round_trip(tmp_path, suffix, array):
    path = tmp_path / f"x{suffix}"
    write_idx(path, array)
    assert path.read_bytes().startswith(b"\x1f\x8b") == (suffix == ".gz")
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=") and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_gzip_is_told_by_content_not_name(tmp_path):
    write_idx(tmp_path / "x.gz", np.arange(4, dtype=np.uint8))
    (tmp_path / "gzipped-without-suffix").write_bytes((tmp_path / "x.gz").read_bytes())
    write_idx(tmp_path / "raw", np.arange(4, dtype=np.uint8))
    (tmp_path / "raw-with-suffix.gz").write_bytes((tmp_path / "raw").read_bytes())
    for name in ("gzipped-without-suffix", "raw-with-suffix.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), [0, 1, 2, 3])


def test_truncated_idx_is_an_error_naming_the_file(tmp_path):
    write_idx(tmp_path / "whole", np.arange(100, dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "whole").read_bytes()[:-1])
    with pytest.raises(GenzooError, match=r"short is truncated.*shape \(100,\) calls for 108 bytes but it holds 107"):
        read_idx(tmp_path / "short")
    (tmp_path / "head").write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(GenzooError, match="head is truncated inside its header"):
        read_idx(tmp_path / "head")


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    write_idx(tmp_path / "whole.gz", np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8))
    (tmp_path / "short.gz").write_bytes((tmp_path / "whole.gz").read_bytes()[:-100])
    with pytest.raises(GenzooError, match="short.gz is a truncated or corrupt gzip file"):
        read_idx(tmp_path / "short.gz")


def test_not_an_idx_file(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, world")
    with pytest.raises(GenzooError, match="notes.txt is not an IDX file"):
        read_idx(tmp_path / "notes.txt")
    (tmp_path / "odd").write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 0]))
    with pytest.raises(GenzooError, match="odd has unknown IDX type code 0x0A"):
        read_idx(tmp_path / "odd")


# --- where data is found -----------------------------------------------------------------------------------

def test_fake_mnist_loads_with_known_values(tmp_path, fake_checksums):
    write_fake_mnist(tmp_path / "data" / "mnist")
    data = load_dataset("mnist", DataConfig(validation_fraction=0.25), data_dir=tmp_path / "data")
    assert (len(data.train), len(data.validation), len(data.test)) == (9, 3, 4)
    assert data.image_shape == (1, 2, 3) and data.classes == [str(d) for d in range(10)]
    assert data.provenance == {"directory": str(tmp_path / "data"), "files": fake_checksums}
    train_and_validation = ImageSet(torch.cat([data.train.images, data.validation.images]),
                                    torch.cat([data.train.labels, data.validation.labels]))
    index = (train_and_validation.images[:, 0, 0, 0] * 255 / 10).round().long()
    assert sorted(index.tolist()) == list(range(12))
    assert torch.equal(train_and_validation.labels, index % 10)
    expected = 10 * index.float().view(-1, 1, 1, 1).expand(-1, 1, 2, 3)
    assert torch.equal((train_and_validation.images * 255).round(), expected)
    assert torch.equal(data.test.labels, torch.tensor([2, 3, 4, 5]))


def test_search_order_data_dir_then_env_then_cache(tmp_path, monkeypatch, fake_checksums):
    write_fake_mnist(tmp_path / "given" / "mnist")
    write_fake_mnist(tmp_path / "env", suffix="")          # flat layout, not gzipped
    write_fake_mnist(tmp_path / "cache" / "mnist")
    monkeypatch.setenv("GENZOO_DATA_DIR", str(tmp_path / "env"))

    def source(data_dir=None):
        return load_dataset("mnist", DataConfig(), data_dir=data_dir).provenance["directory"]

    assert source(tmp_path / "given") == str(tmp_path / "given")
    assert source() == str(tmp_path / "env")
    monkeypatch.delenv("GENZOO_DATA_DIR")
    assert source() == str(tmp_path / "cache")


def test_cache_dir_follows_xdg_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv("GENZOO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sources.cache_dir() == tmp_path / "xdg" / "genzoo"
    monkeypatch.setenv("GENZOO_CACHE_DIR", str(tmp_path / "mine"))
    assert sources.cache_dir() == tmp_path / "mine"


def test_missing_data_dir_is_an_error(tmp_path):
    with pytest.raises(GenzooError, match=r"data directory .*nowhere does not exist"):
        load_dataset("mnist", DataConfig(), data_dir=tmp_path / "nowhere")


def test_corrupted_file_of_the_right_size_fails_its_checksum(tmp_path, fake_checksums):
    directory = write_fake_mnist(tmp_path / "data", suffix="")
    content = bytearray((directory / "train-images-idx3-ubyte").read_bytes())
    content[-1] ^= 1
    (directory / "train-images-idx3-ubyte").write_bytes(bytes(content))
    with pytest.raises(GenzooError, match=r"train-images-idx3-ubyte is corrupted or truncated \(sha256 mismatch\)"):
        load_dataset("mnist", DataConfig(), data_dir=directory)


def test_another_datasets_file_is_named_as_such(tmp_path, monkeypatch, fake_checksums):
    monkeypatch.setitem(sources.CHECKSUMS, "fashion-mnist", dict(fake_checksums))
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", {name: "0" * 64 for name in FILES})
    with pytest.raises(GenzooError, match="is fashion-mnist's train-images-idx3-ubyte, not mnist's"):
        load_dataset("mnist", DataConfig(), data_dir=write_fake_mnist(tmp_path / "data"))


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_no_data_and_no_network_is_one_clear_line(tmp_path, name):
    with pytest.raises(GenzooError) as caught:
        load_dataset(name, DataConfig())
    message = str(caught.value)
    assert "\n" not in message
    for hint in ("download failed", "127.0.0.1:9", "--data-dir", "GENZOO_DATA_DIR", str(tmp_path / "cache" / name)):
        assert hint in message
    assert ("dataset-fashion-mnist" in message) == (name == "fashion-mnist")
    assert not available_locally(name)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror_server(tmp_path):
    """A local web server for tmp_path/site; yields its base URL."""
    (tmp_path / "site").mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(QuietHandler, directory=str(tmp_path / "site")))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()


def test_download_skips_bad_mirrors_and_fills_the_cache(tmp_path, monkeypatch, mirror_server, fake_checksums):
    bad = write_fake_mnist(tmp_path / "site" / "bad")
    for name in FILES:                                  # a different but well-formed copy
        write_idx(bad / f"{name}.gz", read_idx(bad / f"{name}.gz") // 2)
    write_fake_mnist(tmp_path / "site" / "good")
    monkeypatch.setitem(sources.MIRRORS, "mnist", (UNREACHABLE, mirror_server + "bad/", mirror_server + "good/"))
    assert not available_locally("mnist")
    data = load_dataset("mnist", DataConfig())
    assert data.provenance["directory"] == str(tmp_path / "cache")
    assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == sorted(f"{n}.gz" for n in FILES)
    assert available_locally("mnist")
    monkeypatch.setitem(sources.MIRRORS, "mnist", (UNREACHABLE,))
    assert torch.equal(load_dataset("mnist", DataConfig()).test.labels, data.test.labels)


def test_download_reasons_are_reported(monkeypatch, mirror_server):
    monkeypatch.setitem(sources.MIRRORS, "mnist", (mirror_server + "missing/",))
    with pytest.raises(GenzooError, match=r"download failed \(127\.0\.0\.1:\d+: HTTP Error 404"):
        load_dataset("mnist", DataConfig())


# --- named datasets ----------------------------------------------------------------------------------------

def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(GenzooError, match="unknown dataset 'cifar': choose one of mnist, fashion-mnist, digits, "
                                          "mnist-captions, folder:PATH"):
        load_dataset("cifar", DataConfig())
    assert list(DATASETS) == ["mnist", "fashion-mnist", "digits", "mnist-captions", "folder:PATH"]


def image_counts(*sets: ImageSet) -> collections.Counter:
    return collections.Counter((s.images[i].numpy().tobytes(), int(s.labels[i])) for s in sets for i in range(len(s)))


def test_digits_splits_partition_the_set_deterministically():
    from sklearn.datasets import load_digits
    data = load_dataset("digits", DataConfig(seed=3))
    assert (len(data.train), len(data.validation), len(data.test)) == (1198, 240, 359)
    assert data.image_shape == (1, 8, 8) and data.train.images.dtype == torch.float32
    assert data.train.images.min() == 0 and data.train.images.max() == 1
    digits = load_digits()
    everything = ImageSet(torch.from_numpy(digits.images / 16).float().unsqueeze(1), torch.from_numpy(digits.target))
    assert image_counts(data.train, data.validation, data.test) == image_counts(everything)
    again = load_dataset("digits", DataConfig(seed=3))
    other = load_dataset("digits", DataConfig(seed=4))
    assert torch.equal(again.test.images, data.test.images) and torch.equal(again.train.labels, data.train.labels)
    assert not torch.equal(other.test.images, data.test.images)
    assert available_locally("digits")


def test_fixed_binarization_is_binary_reproducible_and_keeps_the_mean():
    grey = load_dataset("digits", DataConfig(seed=1))
    fixed = load_dataset("digits", DataConfig(seed=1, binarize="fixed"))
    assert set(fixed.train.images.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(fixed.train.images, load_dataset("digits", DataConfig(seed=1, binarize="fixed")).train.images)
    assert abs(fixed.train.images.mean() - grey.train.images.mean()) < 0.01
    assert torch.equal(fixed.train.labels, grey.train.labels)
    assert (fixed.train.images[grey.train.images == 0] == 0).all()
    assert torch.equal(load_dataset("digits", DataConfig(seed=1, binarize="dynamic")).train.images, grey.train.images)


def write_image(path: Path, colour: tuple[int, int, int], size=(10, 6)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.mark.parametrize("channels", [1, 3])
def test_folder_with_class_subfolders(tmp_path, channels):
    write_image(tmp_path / "pics" / "dogs" / "d.png", (0, 0, 255))
    write_image(tmp_path / "pics" / "cats" / "a.png", (255, 0, 0))
    write_image(tmp_path / "pics" / "cats" / "deeper" / "b.png", (255, 0, 0), size=(3, 7))
    write_image(tmp_path / "pics" / "dogs" / "c.jpeg", (0, 0, 255))
    (tmp_path / "pics" / "cats" / "notes.txt").write_text("not an image")
    (tmp_path / "pics" / "cats" / "._a.png").write_bytes(b"hidden macOS metadata, skipped")
    cfg = DataConfig(image_size=5, channels=channels, test_fraction=0.0, validation_fraction=0.0)
    data = load_dataset(f"folder:{tmp_path / 'pics'}", cfg)
    assert data.classes == ["cats", "dogs"] and data.image_shape == (channels, 5, 5)
    assert data.train.labels.tolist() == [0, 0, 1, 1]
    red = data.train.images[0]
    if channels == 3:
        assert torch.equal(red, torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1).expand(3, 5, 5))
    else:
        assert torch.equal(red, torch.full((1, 5, 5), 76 / 255))     # ITU-R 601: 0.299 * 255
    assert data.provenance == {"directory": str(tmp_path / "pics"), "images": 4}


def test_flat_folder_is_one_class_and_holds_out_test(tmp_path):
    for i in range(10):
        write_image(tmp_path / "flat" / f"{i}.png", (25 * i, 0, 0))
    data = load_dataset(f"folder:{tmp_path / 'flat'}", DataConfig(image_size=4, test_fraction=0.2,
                                                                  validation_fraction=0.25))
    assert data.classes == ["flat"] and (len(data.train), len(data.validation), len(data.test)) == (6, 2, 2)
    assert available_locally(f"folder:{tmp_path / 'flat'}")


def test_folder_problems_are_clear(tmp_path):
    with pytest.raises(GenzooError, match="image folder .*absent does not exist"):
        load_dataset(f"folder:{tmp_path / 'absent'}", DataConfig())
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(GenzooError, match="holds no PNG or JPEG images"):
        load_dataset(f"folder:{tmp_path / 'empty'}", DataConfig())
    write_image(tmp_path / "broken" / "good.png", (1, 2, 3))
    (tmp_path / "broken" / "bad.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(GenzooError, match=r"cannot read image .*broken/bad\.png"):
        load_dataset(f"folder:{tmp_path / 'broken'}", DataConfig())


# --- batches and pixel transforms --------------------------------------------------------------------------

def test_batches_cover_every_index_once_and_resume():
    images = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    data = ImageSet(images, torch.arange(10))
    order = torch.randperm(10, generator=torch.Generator().manual_seed(0))
    batches = list(data.batches(3, order))
    assert [len(labels) for _, labels in batches] == [3, 3, 3, 1]
    assert torch.equal(torch.cat([labels for _, labels in batches]), order)
    assert torch.equal(torch.cat([x for x, _ in batches]).flatten(), order.float())
    resumed = list(data.batches(3, order, start=2))
    assert torch.equal(torch.cat([labels for _, labels in resumed]), order[6:])
    assert torch.equal(torch.cat([labels for _, labels in data.batches(4)]), torch.arange(10))
    assert list(data.batches(4, start=3)) == []


def test_pixel_ranges_and_binarize():
    x = torch.tensor([0.0, 0.25, 0.5, 1.0])
    assert torch.equal(to_symmetric(x), torch.tensor([-1.0, -0.5, 0.0, 1.0]))
    assert torch.equal(to_unit(to_symmetric(x)), x)
    assert torch.equal(binarize(torch.tensor([0.0, 1.0, 0.0, 1.0])), torch.tensor([0.0, 1.0, 0.0, 1.0]))
    p = torch.full((100_000,), 0.3)
    first = binarize(p, torch.Generator().manual_seed(5))
    assert torch.equal(first, binarize(p, torch.Generator().manual_seed(5)))
    assert abs(first.mean().item() - 0.3) < 0.01


# --- the real data, where this machine has it --------------------------------------------------------------

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="no shared copy of MNIST on this machine")
def test_real_mnist():
    data = load_dataset("mnist", DataConfig(), data_dir=SHARED_DATA)
    assert (len(data.train), len(data.validation), len(data.test)) == (50000, 10000, 10000)
    assert data.image_shape == (1, 28, 28)
    train_counts = torch.bincount(torch.cat([data.train.labels, data.validation.labels]), minlength=10)
    assert train_counts.tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(data.test.labels, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert data.provenance["files"] == sources.CHECKSUMS["mnist"]
