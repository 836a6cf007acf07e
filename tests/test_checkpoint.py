import os

import pytest
import torch

from genzoo import checkpoint
from genzoo.checkpoint import load_checkpoint, save_checkpoint
from genzoo.errors import GenzooError
from genzoo.outputs import write_atomically


def content():
    return {"model": {"w": torch.arange(1000, dtype=torch.float32)}, "step": 7, "note": ["a", 1.5, None]}


def test_round_trip_is_exact(tmp_path):
    save_checkpoint(tmp_path / "c.pt", content())
    loaded = load_checkpoint(tmp_path / "c.pt")
    assert torch.equal(loaded["model"]["w"], content()["model"]["w"])
    assert loaded["step"] == 7 and loaded["note"] == ["a", 1.5, None]


def test_a_flipped_byte_in_the_weights_is_detected(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, content())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(GenzooError, match="damaged or was not written by genzoo"):
        load_checkpoint(path)


def test_a_truncated_file_is_detected(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, content())
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(GenzooError, match="cannot be read"):
        load_checkpoint(path)


class Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_pickled_object_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": checkpoint.FORMAT, "x": Payload()}, path)
    with pytest.raises(GenzooError, match="objects other than tensors"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, content())
    before = path.read_bytes()
    real_save = torch.save

    def save_half_then_crash(obj, f, *a, **k):
        if isinstance(obj, dict) and "sha256" in obj:
            f.write(b"partial")
            raise OSError(28, "No space left on device")
        return real_save(obj, f, *a, **k)

    monkeypatch.setattr(torch, "save", save_half_then_crash)
    with pytest.raises(GenzooError, match=f"cannot write {path}: No space left on device"):
        save_checkpoint(path, {"step": 8})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_missing_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(GenzooError, match="no checkpoint at .*genzoo train"):
        load_checkpoint(tmp_path / "none.pt")




def test_a_genzoo_header_without_its_content_is_refused(tmp_path):
    path = tmp_path / "c.pt"
    torch.save({"format": checkpoint.FORMAT, "sha256": "0" * 64}, path)
    with pytest.raises(GenzooError, match="unknown format"):
        load_checkpoint(path)


def test_content_that_would_not_load_is_refused_at_save_time(tmp_path):
    with pytest.raises(TypeError, match="tensors, numbers, strings"):
        save_checkpoint(tmp_path / "c.pt", {"version": torch.__version__})   # a TorchVersion, not a str
    assert not (tmp_path / "c.pt").exists()


def test_files_written_whole_get_the_mode_a_plain_write_gives_them(tmp_path):
    """mkstemp's 0600 would keep a checkpoint, a report or a grid from the other users that a plain write lets read."""
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    save_checkpoint(tmp_path / "checkpoint.pt", {"step": 1})
    write_atomically(tmp_path / "page.html", lambda f: f.write(b"<p>"))
    modes = {path.name: path.stat().st_mode & 0o777 for path in tmp_path.iterdir()}
    assert modes == {"plain": modes["plain"], "checkpoint.pt": modes["plain"], "page.html": modes["plain"]}
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
