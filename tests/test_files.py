"""mxgan.common.files: writes that land whole or not at all, and the leftovers of killed writers."""
import os
import subprocess
import sys

from mxgan.common import files
from mxgan.common.checks import UsageError

import pytest


def test_atomic_write_replaces_the_file_with_the_usual_permissions(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    files.atomic_write_text(path, "first")
    files.atomic_write_text(path, "second")
    assert path.read_text() == "second"
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "a.bin"
    files.atomic_write_bytes(path, b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with files.atomic_writer(path) as out:
            out.write(b"half of the new")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.bin"]


def test_a_staged_directory_appears_whole_and_replaces_the_old_one(tmp_path):
    final = tmp_path / "ckpt"
    with files.staged_directory(final) as staging:
        (staging / "x").write_text("1")
    with files.staged_directory(final) as staging:
        assert not final.joinpath("y").exists()
        (staging / "y").write_text("2")
    assert sorted(p.name for p in final.iterdir()) == ["y"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_a_failed_staged_directory_leaves_the_old_one(tmp_path):
    final = tmp_path / "ckpt"
    with files.staged_directory(final) as staging:
        (staging / "x").write_text("1")
    with pytest.raises(KeyboardInterrupt):
        with files.staged_directory(final) as staging:
            (staging / "half").write_text("?")
            raise KeyboardInterrupt
    assert [p.name for p in final.iterdir()] == ["x"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / (".tmp-%s-iter-000100" % dead)).mkdir()
        (tmp_path / (".tmp-%s-meta.json" % dead)).write_text("{")
        (tmp_path / (".tmp-%d-iter-000200" % live.pid)).mkdir()
        (tmp_path / "iter-000050").mkdir()
        removed = files.remove_staging_leftovers(tmp_path)
    finally:
        live.kill()
        live.wait()
    assert sorted(p.name for p in removed) == sorted([".tmp-%s-iter-000100" % dead,
                                                      ".tmp-%s-meta.json" % dead])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-%d-iter-000200" % live.pid,
                                                          "iter-000050"]


def test_a_run_directory_must_be_a_writable_directory(tmp_path):
    (tmp_path / "file").write_text("")
    assert files.check_writable_dir(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    with pytest.raises(UsageError, match="is a file, not a directory"):
        files.check_writable_dir(tmp_path / "file")
    with pytest.raises(UsageError, match="is a file, not a directory"):
        files.check_writable_dir(tmp_path / "file" / "run")
    with pytest.raises(files.WriteFailed, match="cannot write /sys: (Read-only|Permission)"):
        files.check_writable_dir("/sys/mxgan-run")


def test_a_run_directory_under_a_broken_link_or_too_long_a_name_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    for path in (tmp_path / "link", tmp_path / "link" / "run"):
        with pytest.raises(UsageError, match="--out %s: %s is a symbolic link to %s, which does "
                           "not resolve" % (path, tmp_path / "link", tmp_path / "gone")):
            files.check_writable_dir(path)
    with pytest.raises(UsageError, match="File name too long"):
        files.check_writable_dir(tmp_path / ("x" * 300))


def test_an_output_file_must_not_be_a_directory(tmp_path):
    with pytest.raises(UsageError, match="--out %s is a directory: give a file name" % tmp_path):
        files.check_writable_file(tmp_path)
    assert files.check_writable_file(tmp_path / "scores.json") == tmp_path / "scores.json"
