"""Multi-process training on the KVStore parameter server, started by `python -m mxgan.launch`.

Every job runs on 127.0.0.1 with a fresh port and a time limit; each test checks that no
process of its job outlives it.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mxgan import checkpoint
from mxgan.launch import free_port

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT_S = 120


def launch(*command, workers=2, servers=1):
    """Run a job; returns (completed process, its port)."""
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "mxgan.launch", "-n", str(workers), "-s", str(servers),
         "--port", str(port), "--", *command],
        cwd=ROOT, capture_output=True, text=True, timeout=TIME_LIMIT_S)
    assert not _processes_of_job(port), "processes of the job outlived the launcher"
    return result, port


def _processes_of_job(port):
    """PIDs whose environment names this job's scheduler port."""
    marker = b"DMLC_PS_ROOT_PORT=%d\0" % port
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path("/proc", pid, "environ").read_bytes():
                found.append(int(pid))
        except OSError:  # gone, or not ours to read
            pass
    return found


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_dist_sync_workers_end_with_identical_parameters(tmp_path, model):
    result, _ = launch(sys.executable, str(ROOT / "tests" / "dist_worker.py"), model,
                       str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [np.load(tmp_path / ("rank-%d.npz" % r)) for r in range(2)]
    names = [n for n in ranks[0].files if n != "metrics"]
    assert names and set(names) == set(ranks[1].files) - {"metrics"}
    for name in names:
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name], err_msg=name)
    # Each worker trained on its own shard and noise, so their step metrics differ.
    assert not np.allclose(ranks[0]["metrics"], ranks[1]["metrics"])


@pytest.mark.parametrize("example", ["dcgan_mnist.py", "cgan_mnist.py"])
def test_examples_train_under_the_launcher_and_rank_0_alone_writes(tmp_path, example):
    result, _ = launch(sys.executable, "examples/" + example, "--dry-run", "--kvstore",
                       "dist_sync", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    saved = checkpoint.latest(tmp_path)
    assert saved.name == "iter-000004"
    config = checkpoint.load_meta(saved)["config"]
    assert config["num_workers"] == 2 and config["kvstore"] == "dist_sync"
    assert result.stdout.count("done: 4 iterations") == 1  # rank 0 alone reports


def test_a_failing_worker_ends_the_job_with_a_clear_message(tmp_path):
    # The first worker to claim the flag file fails at once; the other would wait forever for
    # it in the KVStore's start-up barrier.
    flag = tmp_path / "failed"
    result, _ = launch(sys.executable, "-c", "import os, sys, mxnet as mx\n"
                       "try: os.close(os.open(%r, os.O_CREAT | os.O_EXCL)); sys.exit(3)\n"
                       "except FileExistsError: mx.kv.create('dist_sync')" % str(flag))
    assert result.returncode == 1
    assert re.search(r"worker \d \(pid \d+\) exited with code 3; stopping the other processes "
                     r"of the job", result.stderr)


def test_ctrl_c_ends_every_process_of_the_job():
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "mxgan.launch", "-n", "2", "--port", str(port), "--",
         sys.executable, "-c", "import time; time.sleep(120)"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_processes_of_job(port)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)  # scheduler, server and two workers running
    assert len(_processes_of_job(port)) == 4
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(timeout=30) == 130
    assert "interrupted; stopping the job" in launcher.stderr.read()
    assert not _processes_of_job(port)


def test_a_command_that_cannot_start_is_one_message_and_no_leftovers():
    result, _ = launch("no-such-program-mxgan")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot start worker 0 (no-such-program-mxgan)" in result.stderr


def test_launcher_without_a_command_explains_usage():
    result = subprocess.run([sys.executable, "-m", "mxgan.launch", "-n", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "give the workers' command after --" in result.stderr
