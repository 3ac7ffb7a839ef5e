"""A run on a real small or read-only filesystem (a tmpfs mounted for the test, as root): it ends
with one line, exit 4 or a refusal, and the newest complete checkpoint intact."""
import os
import subprocess
import sys
from pathlib import Path

from mxgan.common.files import STAGING_PREFIX, WRITE_FAILED_EXIT, WriteFailed
from mxgan.training import checkpoint

import mxnet as mx
import pytest

pytestmark = pytest.mark.slow  # each test starts the example in a process of its own

ROOT = Path(__file__).resolve().parent.parent
DCGAN = [sys.executable, str(ROOT / "examples" / "dcgan_mnist.py"), "--offline"]
# Sizes of a filesystem for the default dry run (checkpoints of about 480 KiB): one that holds no
# checkpoint, one that holds one checkpoint but not the pictures after it.
NO_ROOM_KIB, ONE_CHECKPOINT_KIB = 400, 600


@pytest.fixture
def tmpfs(tmp_path):
    """A function mounting a tmpfs of so many KiB on a new directory; all unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = []

    def mount(kib, name="disk"):
        where = tmp_path / name
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % kib, "tmpfs",
                               str(where)], capture_output=True)
        if done.returncode:
            pytest.skip("cannot mount a tmpfs here: %s" % done.stderr.decode().strip())
        mounted.append(where)
        return where
    yield mount
    for where in reversed(mounted):
        while os.path.ismount(where):  # a remount can stack: unmount until nothing is left
            if subprocess.run(["umount", "-l", str(where)]).returncode:
                break


def _dcgan(*flags):
    result = subprocess.run(DCGAN + list(flags), capture_output=True, text=True)
    return result.returncode, result.stderr.strip().splitlines()[-1] if result.stderr else ""


def _leftovers(root):
    return [p for p in Path(root).rglob(STAGING_PREFIX + "*")]


def test_a_disk_too_small_for_one_checkpoint_is_refused_before_training(tmpfs):
    run_dir = tmpfs(NO_ROOM_KIB) / "run"
    code, last = _dcgan("--dry-run", "--out", str(run_dir))
    assert code == 2 and last.startswith("error: a checkpoint of this run needs ")
    assert "KiB is free: free some space, or pass --out" in last
    assert not (run_dir / "checkpoints").exists()


def test_a_disk_that_fills_after_a_checkpoint_ends_in_one_line_naming_it(tmpfs):
    run_dir = tmpfs(ONE_CHECKPOINT_KIB) / "run"
    code, last = _dcgan("--dry-run", "--out", str(run_dir))
    assert code == WRITE_FAILED_EXIT
    assert last.startswith("error: cannot write %s/" % run_dir)
    assert ": No space left on device (" in last and "free on its filesystem now)" in last
    assert last.endswith("the newest complete checkpoint is step 4 (%s/checkpoints/iter-000004)"
                         ", intact" % run_dir)
    assert checkpoint.find(run_dir).name == "iter-000004" and not _leftovers(run_dir)


def test_a_full_disk_under_mxnets_own_write_is_a_failed_write(tmpfs):
    """The checkpoint's .params are written by MXNet, which reports only 'write incomplete'."""
    disk = tmpfs(ONE_CHECKPOINT_KIB)
    (disk / "filler").write_bytes(b"\0" * ((ONE_CHECKPOINT_KIB - 30) * 1024))
    with pytest.raises(WriteFailed, match="big.params: No space left on device"):
        checkpoint._save_ndarrays(disk / "big.params", {"arg:w": mx.nd.ones((100, 1000))})


def test_a_read_only_run_directory_ends_in_one_line_and_keeps_its_checkpoint(tmpfs):
    disk = tmpfs(4096)
    run_dir = disk / "run"
    assert _dcgan("--dry-run", "--out", str(run_dir))[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    for flags in (["--dry-run", "--resume", "--max-iters", "6"], ["--generate", "10"]):
        code, last = _dcgan("--out", str(run_dir), *flags)
        assert code == WRITE_FAILED_EXIT, flags
        assert last.startswith("error: cannot write %s: Read-only file system (" % run_dir)
        assert last.endswith("the newest complete checkpoint is step 4 (%s/checkpoints/"
                             "iter-000004), intact" % run_dir)
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert checkpoint.find(run_dir).name == "iter-000004"
