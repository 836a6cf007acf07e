"""Threads: idle OpenMP threads wait passively (set before torch loads, unless the user chose), --threads sets
torch's thread count, and a run records the threads it trained with."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from test_cli import TINY_VAE

from genzoo.checkpoint import load_checkpoint
from genzoo.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_importing_genzoo_sets_passive_waiting_before_torch_loads_unless_chosen(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = ROOT
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = "import genzoo, os; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected


def test_threads_option_sets_torch_threads_and_the_run_records_them(tmp_path, capsys):
    before = torch.get_num_threads()
    try:
        assert main(["train", "vae", "--data", "digits", "--max-steps", "2", "--out", str(tmp_path / "r"), "--quiet",
                     "--threads", "1", *TINY_VAE]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    machine = load_checkpoint(tmp_path / "r" / "checkpoint.pt")["run"]["machine"]
    assert machine["torch_threads"] == 1 and machine["cores"] == os.cpu_count()
    assert main(["info", str(tmp_path / "r")]) == 0
    assert "1 torch threads" in capsys.readouterr().out
