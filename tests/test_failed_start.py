"""A start that fails (unknown dataset, missing folder, no data) leaves no run directory behind, and never removes
a directory that was there before."""

from __future__ import annotations

import pytest
from test_cli import one_line_error


@pytest.mark.parametrize("data, extra", [("cifar", []), ("folder:/nowhere/at/all", []),
                                         ("mnist", ["--data-dir", "/nowhere/at/all"])])
def test_a_failed_start_leaves_no_run_directory(tmp_path, capsys, data, extra):
    out = tmp_path / "runs" / "new"
    one_line_error(capsys, ["train", "vae", "--data", data, "--out", str(out), "--quiet", *extra])
    assert list(tmp_path.iterdir()) == []

    out.mkdir(parents=True)   # a folder the user made is kept, empty as it was
    (tmp_path / "runs" / "notes.txt").write_text("mine")
    one_line_error(capsys, ["train", "vae", "--data", data, "--out", str(out), "--quiet", *extra])
    assert out.is_dir() and list(out.iterdir()) == [] and (tmp_path / "runs" / "notes.txt").read_text() == "mine"


def test_no_data_and_no_network_leaves_no_run_directory(tmp_path, capsys, offline):
    one_line_error(capsys, ["train", "vae", "--data", "mnist", "--out", str(tmp_path / "r"), "--quiet"])
    assert not (tmp_path / "r").exists()
