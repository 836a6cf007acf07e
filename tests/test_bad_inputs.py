"""Every subcommand against its kinds of bad input: missing, empty, truncated, wrong type, wrong shape, out of range,
unwritable output and interrupted. Each must exit non-zero with exactly one line on stderr that names the input and
says what to do, print no traceback, and leave every file that existed before as it was.

The CLI runs in-process (genzoo.cli.main), so the whole sweep takes seconds. ``{w}`` in a case is the folder of
bad and good inputs made once for the module (:func:`world`).
"""

from __future__ import annotations

import hashlib
import importlib
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY

from genzoo.cli import main
from genzoo.run import make_run_config, train

# (case id, argv with {w} for the world folder, words the one line must hold: the input it names and what to do)
CASES = [
    # --- list
    ("list unknown option", "list --bogus", ["--bogus", "--help"]),
    # --- train
    ("train unknown model", "train nope --data digits --out {w}/new", ["nope", "genzoo list"]),
    ("train missing --data", "train vae", ["--data", "--help"]),
    ("train unknown dataset", "train vae --data nope --out {w}/new", ["nope"]),
    ("train missing folder", "train vae --data folder:{w}/absent --out {w}/new", ["absent"]),
    ("train missing data dir", "train vae --data mnist --data-dir {w}/absent --out {w}/new", ["absent"]),
    ("train missing config", "train vae --data digits --config {w}/absent.yaml --out {w}/new", ["absent.yaml"]),
    ("train empty config", "train vae --data digits --config {w}/empty.txt --out {w}/new", ["empty.txt"]),
    ("train truncated config", "train vae --data digits --config {w}/truncated.yaml --out {w}/new",
     ["truncated.yaml"]),
    ("train config of wrong type", "train vae --data digits --config {w}/list.yaml --out {w}/new", ["list.yaml"]),
    ("train binary config", "train vae --data digits --config {w}/junk.bin --out {w}/new", ["junk.bin"]),
    ("train unknown key", "train vae --data digits --set model.bogus=1 --out {w}/new", ["bogus"]),
    ("train value of wrong type", "train vae --data digits --set train.epochs=abc --out {w}/new", ["epochs", "abc"]),
    ("train value out of range", "train vae --data digits --set model.latent_dim=-1 --out {w}/new", ["latent_dim"]),
    ("train zero epochs", "train vae --data digits --epochs 0", ["--epochs", "at least 1"]),
    ("train negative steps", "train vae --data digits --max-steps -5", ["--max-steps"]),
    ("train unwritable out", "train vae --data digits --out {w}/text.txt/run", ["text.txt", "--out"]),
    ("train existing run", "train vae --data digits --out {w}/run", ["--resume"]),
    ("train resume nothing", "train vae --data digits --out {w}/empty_dir --resume", ["empty_dir", "--resume"]),
    ("train resume truncated", "train vae --data digits --out {w}/truncated_run --resume", ["truncated_run"]),
    ("train resume another model", "train dcgan --data digits --out {w}/run --resume", ["vae", "dcgan"]),
    # --- sample
    ("sample missing run", "sample {w}/absent --out {w}/s.png", ["absent", "genzoo train"]),
    ("sample empty run dir", "sample {w}/empty_dir --out {w}/s.png", ["empty_dir"]),
    ("sample truncated run", "sample {w}/truncated_run --out {w}/s.png", ["truncated_run"]),
    ("sample junk checkpoint", "sample {w}/junk_run --out {w}/s.png", ["junk_run"]),
    ("sample run is a file", "sample {w}/text.txt --out {w}/s.png", ["text.txt"]),
    ("sample wrong suffix", "sample {w}/run --out {w}/s.jpg", ["s.jpg", ".png"]),
    ("sample unwritable out", "sample {w}/run --out {w}/text.txt/s.png", ["text.txt"]),
    ("sample overwrite a folder", "sample {w}/run --out {w}/folder.npz", ["folder.npz"]),
    ("sample zero", "sample {w}/run -n 0 --out {w}/s.png", ["-n", "at least 1"]),
    ("sample not a number", "sample {w}/run -n many --out {w}/s.png", ["-n", "many"]),
    ("sample seed out of range", "sample {w}/run --seed -1 --out {w}/s.png", ["--seed"]),
    ("sample label of unconditional", "sample {w}/run --label 3 --out {w}/s.png", ["--label", "drop"]),
    ("sample text of image model", "sample {w}/run --text 'a 3 at the top left' --out {w}/s.png", ["--text"]),
    ("sample texts of image model", "sample {w}/run --texts {w}/text.txt --out {w}/s.png", ["--text", "drop"]),
    ("sample at-mean alone", "sample {w}/run --at-mean --out {w}/s.png", ["--at-mean", "--text"]),
    # --- arithmetic
    ("arithmetic missing run", "arithmetic {w}/absent --out {w}/a.png", ["absent"]),
    ("arithmetic wrong suffix", "arithmetic {w}/gan --out {w}/a.npz", ["a.npz", ".png"]),
    ("arithmetic model without z", "arithmetic {w}/rbm --out {w}/a.png", ["rbm"]),
    ("arithmetic indices not numbers", "arithmetic {w}/gan --candidates 4 --plus a,b --out {w}/a.png", ["a,b"]),
    ("arithmetic index out of range", "arithmetic {w}/gan --candidates 4 --plus 9 --out {w}/a.png", ["9"]),
    ("arithmetic zero candidates", "arithmetic {w}/gan --candidates 0 --out {w}/a.png", ["--candidates"]),
    ("arithmetic unwritable out", "arithmetic {w}/gan --candidates 4 --out {w}/text.txt/a.png", ["text.txt"]),
    # --- info
    ("info missing run", "info {w}/absent", ["absent"]),
    ("info empty run dir", "info {w}/empty_dir", ["empty_dir"]),
    ("info truncated run", "info {w}/truncated_run", ["truncated_run"]),
    # --- eval
    ("eval missing run", "eval {w}/absent", ["absent"]),
    ("eval truncated run", "eval {w}/truncated_run", ["truncated_run"]),
    ("eval run is a file", "eval {w}/text.txt", ["text.txt", "genzoo train"]),
    ("eval unwritable out of a run", "eval {w}/run --out {w}/text.txt/e.json", ["text.txt", "--out"]),
    ("eval neither run nor samples", "eval", ["--samples"]),
    ("eval run with data", "eval {w}/run --data digits", ["--data"]),
    ("eval unknown metric", "eval {w}/run --metrics fd,bogus", ["bogus"]),
    ("eval too few samples", "eval {w}/run -n 5", ["-n", "from 10"]),
    ("eval missing samples", "eval --samples {w}/absent.npz --data digits", ["absent.npz"]),
    ("eval samples not npz", "eval --samples {w}/text.txt --data digits", ["text.txt"]),
    ("eval truncated samples", "eval --samples {w}/truncated.npz --data digits", ["truncated.npz"]),
    ("eval samples of wrong shape", "eval --samples {w}/shape.npz --data digits", ["shape.npz"]),
    ("eval samples out of range", "eval --samples {w}/range.npz --data digits", ["range.npz"]),
    ("eval samples of unknown data", "eval --samples {w}/real.npz --data nope", ["nope"]),
    ("eval nll of samples", "eval --samples {w}/real.npz --data digits --metrics nll", ["nll"]),
    ("eval missing classifier", "eval --samples {w}/real.npz --data digits --classifier {w}/absent.pt",
     ["absent.pt"]),
    ("eval junk classifier", "eval --samples {w}/real.npz --data digits --classifier {w}/junk.bin", ["junk.bin"]),
    ("eval unwritable out", "eval --samples {w}/real.npz --data digits --metrics fd --out {w}/text.txt/e.json",
     ["text.txt"]),
    ("eval interrupted", "eval --samples {w}/real.npz --data digits --metrics fd --out {w}/eval.json",
     ["interrupted", "again"]),
    ("sample interrupted while writing", "sample {w}/run -n 4 --out {w}/real.npz", ["interrupted", "again"]),
    ("eval empty samples", "eval --samples {w}/empty.npz --data digits", ["empty.npz"]),
    # --- classifier
    ("classifier unknown dataset", "classifier --data nope --out {w}/c.pt", ["nope"]),
    ("classifier zero epochs", "classifier --data digits --epochs 0", ["--epochs"]),
    ("classifier unknown key", "classifier --data digits --set bogus=1 --out {w}/c.pt", ["bogus"]),
    ("classifier unwritable out", "classifier --data digits --epochs 1 --out {w}/text.txt/c.pt", ["text.txt"]),
    # --- captions
    ("captions missing data", "captions --data-dir {w}/absent --out {w}/caps", ["absent"]),
    ("captions zero", "captions -n 0 --out {w}/caps", ["-n"]),
    ("captions unknown split", "captions --split bogus --out {w}/caps", ["--split", "bogus"]),
    # --- text-encoder
    ("text-encoder unknown key", "text-encoder --set bogus=1 --out {w}/t.pt", ["bogus"]),
    ("text-encoder missing data", "text-encoder --data-dir {w}/absent --out {w}/t.pt", ["absent"]),
    # --- report
    ("report empty folder", "report {w}/empty_dir --out {w}/r.html", ["empty_dir", "not a run directory"]),
    ("report missing run", "report {w}/absent --out {w}/r.html", ["absent", "genzoo train"]),
    ("report run is a file", "report {w}/text.txt --out {w}/r.html", ["text.txt"]),
    ("report folder with a damaged run", "report {w} --out {w}/r.html", ["junk_run", "damaged"]),
    ("report unknown pretrained", "report pretrained:nope --out {w}/r.html", ["nope", "pretrained"]),
    ("report unwritable out", "report {w}/run --out {w}/text.txt/r.html", ["text.txt", "--out"]),
    ("report out is a folder", "report {w}/run --out {w}/empty_dir", ["empty_dir", "--out"]),
    # --- demo
    ("demo unwritable out", "demo --out {w}/text.txt/demo", ["text.txt"]),
]

# cases that another change of issue 29 fixes
@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """Good runs and files, and the bad ones made from them."""
    w = tmp_path_factory.mktemp("world")
    train(make_run_config("vae", "digits", overrides=[*TINY["vae"], "train.max_steps=2"]), w / "run",
          progress_bar=False)
    train(make_run_config("dcgan", "digits", overrides=[*TINY["dcgan"], "train.max_steps=1"]), w / "gan",
          progress_bar=False)
    train(make_run_config("rbm", "digits", overrides=[*TINY["rbm"], "train.max_steps=1"]), w / "rbm",
          progress_bar=False)
    (w / "empty_dir").mkdir()
    (w / "folder.npz").mkdir()
    (w / "empty.txt").write_text("")
    (w / "text.txt").write_text("not what was asked for\n")
    (w / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (w / "truncated.yaml").write_text("model:\n  latent_dim: [1, 2\n")
    (w / "list.yaml").write_text("- model\n- train\n")
    (w / "eval.json").write_text('{"kept": true}\n')
    for name, source in (("truncated_run", "run"), ("junk_run", "run")):
        shutil.copytree(w / source, w / name)
    checkpoint = (w / "run" / "checkpoint.pt").read_bytes()
    (w / "truncated_run" / "checkpoint.pt").write_bytes(checkpoint[:len(checkpoint) // 2])
    (w / "junk_run" / "checkpoint.pt").write_bytes(bytes(range(256)) * 4)
    np.savez(w / "real.npz", x=np.random.default_rng(0).integers(0, 256, (40, 1, 8, 8), dtype=np.uint8))
    (w / "truncated.npz").write_bytes((w / "real.npz").read_bytes()[:300])
    np.savez(w / "shape.npz", x=np.zeros((40, 3, 28, 28), np.uint8))
    np.savez(w / "range.npz", x=np.full((40, 1, 8, 8), 7.5))
    (w / "empty.npz").write_bytes(b"")
    return w


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stop(*args, **kwargs):
    raise KeyboardInterrupt


def half_written(archive, name, dtype, shape, rows):
    """The writer of one member of a samples .npz, interrupted after a few bytes."""
    with archive.open(name, "w") as member:
        member.write(b"\x93NUMPY")
    raise KeyboardInterrupt


# Ctrl-C in the middle of a command: (module, attribute) replaced by a function that raises KeyboardInterrupt
INTERRUPTIONS = {"eval interrupted": ("genzoo.evaluate.suite", "evaluate_samples", stop),
                 "sample interrupted while writing": ("genzoo.samples_file", "_write_member", half_written)}


@pytest.mark.parametrize("name, argv, words", [pytest.param(name, argv, words, id=name) for name, argv, words in CASES])
def test_bad_input_is_one_line_and_changes_nothing(world, name, argv, words, capsys, monkeypatch):
    if name in INTERRUPTIONS:
        module, attribute, replacement = INTERRUPTIONS[name]
        monkeypatch.setattr(importlib.import_module(module), attribute, replacement)
    before = fingerprint(world)
    try:
        code = main(shlex.split(argv.format(w=world)))
    except SystemExit as stop:   # argparse's usage errors
        code = stop.code
    err = capsys.readouterr().err
    assert code not in (0, None), err
    assert err.count("\n") == 1 and err.startswith("genzoo"), err
    assert "Traceback" not in err
    for word in words:
        assert word in err, f"{word!r} not in {err!r}"
    after = fingerprint(world)
    assert {name: after.get(name) for name in before} == before
    assert not [name for name in set(after) - set(before) if Path(name).name.startswith(".")]   # no temporary left
