"""mxgan.training.rundir: one training run per directory, and a metrics log a kill cannot break."""
import json
import subprocess
import sys
import time

import mxnet as mx
import pytest

from mxgan.training.rundir import MetricsLog, RunBusy, RunLock, read_metrics

LOCK_AND_WAIT = ("import sys, time; from mxgan.training.rundir import RunLock\n"
                 "with RunLock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)")


def test_a_second_lock_on_a_run_directory_names_the_process_holding_it(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(RunBusy, match=r"in use by process \d+ \(since"):
            with RunLock(tmp_path):
                pass
    with RunLock(tmp_path):  # released on leaving the block
        pass


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", LOCK_AND_WAIT, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunBusy, match="process %d" % holder.pid):
            RunLock(tmp_path).__enter__()
    finally:
        holder.kill()
        holder.wait()
    with RunLock(tmp_path):
        pass


def test_a_partial_last_line_is_skipped(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"iteration": 1, "g_loss": 1.0}) + "\n" + '{"iteration": 2, "g_lo')
    assert read_metrics(path) == [{"iteration": 1, "g_loss": 1.0}]
    assert read_metrics(tmp_path / "missing.jsonl") == []


def test_resuming_keeps_the_rows_up_to_the_checkpoint_and_rewrites_the_log(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows = [{"iteration": i, "g_loss": float(i)} for i in range(1, 6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"iteration": 6, "g')
    log = MetricsLog(path, 3, batch_size=4)
    assert [r["iteration"] for r in log.rows] == [1, 2, 3]
    assert path.read_text().count("\n") == 3 and path.read_text().endswith("}\n")


def test_blocks_are_written_one_block_late_then_flushed(tmp_path):
    log = MetricsLog(tmp_path / "metrics.jsonl", 0, batch_size=4)
    block = [mx.nd.array([0.5, 0.6, 0.7, 0.8, 0.2]) for _ in range(3)]
    assert log.push(1, block) is None  # held until the next block arrives
    time.sleep(0.01)
    last = log.push(4, block)
    assert last["iteration"] == 3 and last["d_loss"] == pytest.approx(1.1)
    log.flush()
    assert [r["iteration"] for r in read_metrics(tmp_path / "metrics.jsonl")] == list(range(1, 7))
