"""A failed write or Ctrl-C that ends a command names what of its run survived."""
import errno

from mxgan.common.files import WriteFailed
from mxgan.runs import survivors

import pytest

import tiny

FULL = OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def run_dir(tmp_path):
    """A run directory with checkpoints at iterations 1 and 2."""
    for iteration in (1, 2):
        tiny.one_layer_checkpoint(tmp_path, iteration)
    return tmp_path


def test_a_failed_write_or_ctrl_c_names_the_runs_newest_complete_checkpoint(run_dir):
    with pytest.raises(WriteFailed, match=r"the newest complete checkpoint is step 2 \(.*"
                                          r"iter-000002\), intact"):
        with survivors.naming_survivors(run_dir):
            raise OSError(errno.EROFS, "Read-only file system", str(run_dir / "samples"))
    with pytest.raises(survivors.Interrupted,
                       match="interrupted.*newest complete checkpoint is step 2"):
        with survivors.naming_survivors(run_dir):
            raise KeyboardInterrupt
    with pytest.raises(WriteFailed, match="holds no complete checkpoint"):
        with survivors.naming_survivors(run_dir / "new"):
            raise FULL


def test_a_failed_write_keeps_its_file_and_gains_what_survived(run_dir):
    failed = WriteFailed(run_dir / "samples.png", "No space left on device", errno.ENOSPC)
    with pytest.raises(WriteFailed) as caught:
        with survivors.naming_survivors(run_dir):
            raise failed
    assert caught.value is failed and "step 2" in failed.survivors
    assert str(caught.value).startswith("cannot write %s" % (run_dir / "samples.png"))


def test_errors_that_are_not_the_storages_pass_unchanged(run_dir):
    with pytest.raises(ConnectionResetError):
        with survivors.naming_survivors(run_dir):
            raise ConnectionResetError(errno.ECONNRESET, "reset")
    with pytest.raises(ValueError, match="not a storage fault"):
        with survivors.naming_survivors(run_dir):
            raise ValueError("not a storage fault")


def test_ctrl_c_ends_with_the_shells_code_for_an_interrupt():
    assert survivors.Interrupted.exit_code == 130
    assert str(survivors.Interrupted()) == ("interrupted (Ctrl-C); every file is written whole "
                                            "or not at all")
