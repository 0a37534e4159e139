import os
import stat

import pytest

from memalign_nb.atomic import atomic_write, atomic_write_text


def test_writes_new_file_with_umask_permissions(tmp_path):
    target = tmp_path / "sub" / "grades.jsonl"
    atomic_write_text(target, "one\n")
    assert target.read_text() == "one\n"
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "grades.jsonl"
    target.write_text("old")
    target.chmod(0o600)
    assert atomic_write(target, lambda handle: handle.write("new") and 7) == 7
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "grades.jsonl"
    target.write_text("old")

    def explode(handle):
        handle.write("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.jsonl"]
