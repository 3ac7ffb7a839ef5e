"""Multi-process training on the KVStore parameter server, started by `python -m mxgan.launch`.

Every job runs on 127.0.0.1 with a fresh port and a time limit; each test checks that no
process of its job outlives it.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from mxgan.distributed.peers import LISTEN, tcp_sockets
from mxgan.launch import Job, free_port, parse_args, scheduler_reachable
from mxgan.training import checkpoint

import numpy as np
import pytest

import tiny

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT_S = 120
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
# How long a stopped job may take to end: generous, because a loaded 2-core machine (CI beside
# other work) starts and stops MXNet processes slowly; a hang still fails.
STOP_TIMEOUT_S = 60
# The first worker to claim the flag file (formatted in) exits 0 at once; the other sleeps.
FIRST_LEAVES = ("import os, time\ntry: os.close(os.open(%r, os.O_CREAT | os.O_EXCL))\n"
                "except FileExistsError: time.sleep(%d)")


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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("example", ["dcgan_mnist.py", "cgan_mnist.py"])
def test_examples_train_under_the_launcher_and_rank_0_alone_writes(tmp_path, example):
    result, _ = launch(sys.executable, "examples/" + example, "--dry-run", "--kvstore",
                       "dist_sync", "--out", str(tmp_path), "--tensorboard")
    assert result.returncode == 0, result.stderr[-3000:]
    saved = checkpoint.latest(tmp_path)
    assert saved.name == "iter-000004"
    config = checkpoint.load_meta(saved)["config"]
    assert config["num_workers"] == 2 and config["kvstore"] == "dist_sync"
    assert result.stdout.count("done: 4 iterations") == 1  # rank 0 alone reports
    assert len(list((tmp_path / "tensorboard").iterdir())) == 1  # and writes events
    events = tiny.read_events(tmp_path / "tensorboard")
    assert [event.step for event in events.Scalars("loss/D")] == [1, 2, 3, 4]


@pytest.mark.slow
def test_a_failing_worker_ends_the_job_with_a_clear_message(tmp_path):
    # The first worker to claim the flag file fails at once; the other would wait forever for
    # it in the KVStore's start-up barrier.
    flag = tmp_path / "failed"
    result, _ = launch(sys.executable, "-c", "import os, sys, mxgan, mxnet as mx\n"
                       "try: os.close(os.open(%r, os.O_CREAT | os.O_EXCL)); sys.exit(3)\n"
                       "except FileExistsError: mx.kv.create('dist_sync')" % str(flag))
    assert result.returncode == 1
    assert re.search(r"worker \d \(pid \d+\) exited with code 3; stopping the other processes "
                     r"of the job", result.stderr)


def _alive(pid):
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _as_in_a_terminal(ignore_hup):
    """A foreground command's signals: Ctrl-C and hang-up act (a suite started in the background
    or under nohup hands its children both ignored, which the launcher rightly keeps); under
    nohup, hang-up stays ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_IGN if ignore_hup else signal.SIG_DFL)


class SleepingJob:
    """A launcher (``python -m mxgan.launch -n 2``) whose workers run ``command``; on exit,
    kills whatever of it is left, so a failing test leaves no processes either."""

    def __init__(self, command=SLEEPER, *, ignore_hup=False):
        self.port = free_port()
        self.launcher = subprocess.Popen(
            [sys.executable, "-m", "mxgan.launch", "-n", "2", "--port", str(self.port), "--",
             *command], cwd=ROOT, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: _as_in_a_terminal(ignore_hup))

    def __enter__(self):
        deadline = time.monotonic() + 60
        while len(_processes_of_job(self.port)) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)  # scheduler, server and two workers running
        self.pids = _processes_of_job(self.port)
        assert len(self.pids) == 4
        return self

    def __exit__(self, *exc):
        self.launcher.kill()
        self.launcher.wait()
        for pid in _processes_of_job(self.port):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ctrl_c_ends_every_process_of_the_job():
    with SleepingJob() as job:
        job.launcher.send_signal(signal.SIGINT)
        assert job.launcher.wait(timeout=STOP_TIMEOUT_S) == 130
        assert "interrupted; stopping the job" in job.launcher.stderr.read()
        assert not _processes_of_job(job.port)


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGKILL, -signal.SIGKILL),
                                       (signal.SIGTERM, 128 + signal.SIGTERM),
                                       (signal.SIGHUP, 128 + signal.SIGHUP)],
                         ids=["SIGKILL", "SIGTERM", "SIGHUP"])
def test_the_job_dies_with_the_launcher_however_it_dies(sig, code):
    # SIGHUP is the terminal closing; SIGKILL leaves the launcher no say: the kernel's
    # parent-death signal ends the children.
    with SleepingJob() as job:
        job.launcher.send_signal(sig)
        assert job.launcher.wait(timeout=STOP_TIMEOUT_S) == code
        deadline = time.monotonic() + 10
        while any(map(_alive, job.pids)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, job.pids))


@pytest.mark.slow
def test_under_nohup_the_job_outlives_the_terminal():
    with SleepingJob(ignore_hup=True) as job:
        job.launcher.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert job.launcher.poll() is None and all(map(_alive, job.pids))
        job.launcher.send_signal(signal.SIGINT)
        assert job.launcher.wait(timeout=STOP_TIMEOUT_S) == 130


@pytest.mark.slow
def test_a_worker_that_finishes_long_before_the_others_ends_the_job(tmp_path):
    code = ("import sys, mxgan.launch as launch\nlaunch.WORKER_GRACE_S = 1\n"
            "sys.exit(launch.main(sys.argv[1:]))")
    port, started = free_port(), time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code, "--port", str(port), "--", sys.executable, "-c",
         FIRST_LEAVES % (str(tmp_path / "left"), 120)],
        cwd=ROOT, capture_output=True, text=True, timeout=TIME_LIMIT_S)
    assert not _processes_of_job(port)
    assert result.returncode == 1
    assert re.search(r"worker \d \(pid \d+\) finished before the others \(worker \d still "
                     r"running 1 s later, and would wait for it forever\); stopping the other "
                     r"processes of the job", result.stderr)
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_workers_finishing_within_the_grace_period_end_the_job_normally(tmp_path, monkeypatch):
    monkeypatch.setattr("mxgan.launch.WORKER_GRACE_S", 10)
    job = Job([sys.executable, "-c", FIRST_LEAVES % (str(tmp_path / "left"), 2)],
              workers=2, servers=1, port=free_port())
    try:
        job.start()
        job.run()  # returns: both workers exited 0, 2 s apart
        assert [proc.poll() for name, proc in job.procs if name.startswith("worker")] == [0, 0]
    finally:
        job.stop()
    assert not _processes_of_job(int(job.env["DMLC_PS_ROOT_PORT"]))


def _listening(pid):
    """The addresses ("ip:port") on which ``pid`` listens for TCP connections (IPv4 and 6)."""
    return ["%s:%d" % local for state, local, _ in tcp_sockets(pid) if state == LISTEN]


@pytest.mark.slow
def test_every_process_of_a_job_listens_on_127_0_0_1_only():
    # Servers and workers bind when their KVStore starts; ps-lite would pick the machine's
    # network interface without DMLC_NODE_HOST.
    worker = [sys.executable, "-c", "import time, mxgan, mxnet as mx\n"
              "kv = mx.kv.create('dist_sync')\ntime.sleep(120)"]
    with SleepingJob(worker) as job:
        deadline = time.monotonic() + 60
        while not all(map(_listening, job.pids)) and time.monotonic() < deadline:
            time.sleep(0.2)
        addresses = {pid: _listening(pid) for pid in job.pids}
        assert all(addresses.values()), addresses
        assert {address.rsplit(":", 1)[0] for found in addresses.values()
                for address in found} == {"127.0.0.1"}, addresses
        job.launcher.send_signal(signal.SIGINT)
        assert job.launcher.wait(timeout=STOP_TIMEOUT_S) == 130


def _scheduler_at(port):
    return {"DMLC_PS_ROOT_URI": "127.0.0.1", "DMLC_PS_ROOT_PORT": str(port)}


def test_a_port_nobody_listens_on_is_unreachable_after_the_timeout():
    started = time.monotonic()
    assert not scheduler_reachable(_scheduler_at(free_port()), 0.5)
    assert 0.5 <= time.monotonic() - started < 2
    assert not scheduler_reachable({}, 0.5)  # no job's variables: nothing to reach


def test_a_scheduler_that_starts_listening_late_is_still_reachable():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        env = _scheduler_at(listener.getsockname()[1])
        late = threading.Timer(0.5, listener.listen)
        late.start()
        try:
            started = time.monotonic()
            assert scheduler_reachable(env, 10)
            assert 0.4 < time.monotonic() - started < 3
        finally:
            late.cancel()
            late.join()
        started = time.monotonic()
        assert scheduler_reachable(env, 0)
        assert time.monotonic() - started < 1


@pytest.mark.parametrize("argv, message", [
    (["--port", "80"], "argument --port: must be an integer from 1024 to 65535, got 80"),
    (["--port", "65536"], "argument --port: must be an integer from 1024 to 65535, got 65536"),
    (["--port", "x"], "argument --port: must be an integer from 1024 to 65535, got 'x'"),
    (["-n", "0"], "argument -n/--workers: must be an integer >= 1, got 0"),
    (["-s", "-1"], "argument -s/--servers: must be an integer >= 1, got -1"),
])
def test_bad_numbers_are_one_line_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        parse_args(argv + ["--", "true"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == "error: %s (see python -m mxgan.launch --help)\n" % message


def test_a_port_in_use_is_refused_before_anything_starts(capsys):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            parse_args(["--port", str(port), "--", "true"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith(
        "error: something already listens on 127.0.0.1:%d (another job's scheduler?)" % port)
    assert parse_args(["--port", str(port), "--", "true"]).port == port  # free again


@pytest.mark.slow
def test_a_command_that_cannot_start_is_one_message_and_no_leftovers():
    result, _ = launch("no-such-program-mxgan")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot start worker 0 (no-such-program-mxgan)" in result.stderr


@pytest.mark.slow
def test_launcher_without_a_command_explains_usage():
    result = subprocess.run([sys.executable, "-m", "mxgan.launch", "-n", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "give the workers' command after --" in result.stderr
