"""Samples stream to an .npz chunk by chunk (so -n is bounded by the disk, not memory); sizes beyond the disk or a
readable grid are refused in one line before any sampling; an empty or truncated samples file is one line too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_cgan import TINY_CGAN
from test_cli import TINY_VAE, one_line_error

from genzoo import samples_file
from genzoo.cli import main


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny vae and a tiny cgan, three steps each."""
    root = tmp_path_factory.mktemp("runs")
    cgan = [arg for pair in TINY_CGAN["mlp"] for arg in ("--set", pair)]
    for name, sets in (("vae", TINY_VAE), ("cgan", cgan)):
        assert main(["train", name, "--data", "digits", "--max-steps", "3", "--out", str(root / name), "--quiet",
                     *sets]) == 0
    return root


def test_chunks_join_into_the_samples_of_one_call(runs, tmp_path, monkeypatch):
    assert main(["sample", str(runs / "cgan"), "-n", "20", "--out", str(tmp_path / "whole.npz")]) == 0
    monkeypatch.setattr(samples_file, "CHUNK", 7)
    assert main(["sample", str(runs / "cgan"), "-n", "20", "--out", str(tmp_path / "chunked.npz")]) == 0
    whole, chunked = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "chunked.npz")
    assert chunked["x"].shape == (20, 1, 8, 8) and chunked["x"].dtype == np.uint8
    assert chunked["labels"].tolist() == [i % 10 for i in range(20)] == whole["labels"].tolist()
    assert np.array_equal(whole["x"][:7], chunked["x"][:7])   # the first chunk draws what one call draws


def test_more_samples_than_the_disk_holds_are_refused_before_sampling(runs, tmp_path, capsys):
    err = one_line_error(capsys, ["sample", str(runs / "vae"), "-n", str(10**12), "--out", str(tmp_path / "x.npz")])
    assert "would take up to 64,000.0 GB" in err and "ask for fewer samples" in err
    assert list(tmp_path.iterdir()) == []


def test_a_grid_too_large_to_look_at_is_refused(runs, tmp_path, capsys):
    err = one_line_error(capsys, ["sample", str(runs / "vae"), "-n", "100000", "--out", str(tmp_path / "g.png")])
    assert "a grid of more than 10,000 images" in err and ".npz" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, says", [(b"", "is empty"), (b"PK\x03\x04 truncated", "cannot read samples")])
def test_an_empty_or_truncated_samples_file_is_one_line(tmp_path, capsys, content, says):
    path = tmp_path / "samples.npz"
    path.write_bytes(content)
    err = one_line_error(capsys, ["eval", "--samples", str(path), "--data", "digits"])
    assert says in err and str(path) in err


def test_sigterm_while_sampling_leaves_no_half_archive(runs, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    job = subprocess.Popen([sys.executable, "-m", "genzoo", "sample", str(runs / "vae"), "-n", "50000000", "--out",
                            str(tmp_path / "x.npz")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:   # the temporary archive is being written
        time.sleep(0.05)
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=60)
    assert job.returncode == 130 and err.strip().endswith("interrupted before it finished; run it again to complete it")
    assert list(tmp_path.iterdir()) == []
