"""python -m mxgan.kvstore_server: a scheduler and a server that serve a real dist_sync job."""
import subprocess
import sys
from pathlib import Path

from mxgan.launch import free_port, job_environment

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKER = ("import mxgan, mxnet as mx\n"
          "kv = mx.kv.create('dist_sync')\n"
          "kv.init('w', mx.nd.zeros(3))\n"
          "kv.push('w', mx.nd.ones(3) * 2)\n"
          "out = mx.nd.zeros(3)\n"
          "kv.pull('w', out=out)\n"
          "print(out.asnumpy().tolist())\n")


@pytest.mark.slow
def test_scheduler_and_server_serve_a_job_and_exit_with_it():
    env = job_environment(workers=1, servers=1, port=free_port())
    nodes = [subprocess.Popen([sys.executable, "-m", "mxgan.kvstore_server"], cwd=ROOT,
                              env=dict(env, DMLC_ROLE=role), stderr=subprocess.PIPE, text=True)
             for role in ("scheduler", "server")]
    try:
        worker = subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT,
                                env=dict(env, DMLC_ROLE="worker"), capture_output=True,
                                text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr[-2000:]
        # the default updater of a dist_sync store assigns the pushed sum
        assert worker.stdout.strip().splitlines()[-1] == "[2.0, 2.0, 2.0]"
        assert [node.wait(timeout=60) for node in nodes] == [0, 0]
    finally:
        for node in nodes:
            node.kill()
            node.wait()


@pytest.mark.slow
def test_without_a_server_role_it_says_what_to_set():
    result = subprocess.run([sys.executable, "-m", "mxgan.kvstore_server"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: python -m mxgan.kvstore_server serves a KVStore job: set DMLC_ROLE=scheduler or "
        "server (README, 'Scaling out')"]


def test_a_bad_peer_timeout_is_one_line_and_exit_2_before_serving():
    env = dict(job_environment(workers=1, servers=1, port=free_port()), DMLC_ROLE="server",
               MXGAN_PEER_TIMEOUT="soon")
    result = subprocess.run([sys.executable, "-m", "mxgan.kvstore_server"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == ("error: MXGAN_PEER_TIMEOUT must be a number of seconds >= 5, got "
                             "'soon'\n")
