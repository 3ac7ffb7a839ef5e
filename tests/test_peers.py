"""The watch that ends a process of a KVStore job once a peer is lost: its timeout, its probes,
its bookkeeping, the peers it finds in the kernel's socket table, and the process it ends.
(tests/test_hosts.py cuts a real link between two simulated hosts.)"""
import socket
import subprocess
import sys
import time
from pathlib import Path

from mxgan.distributed import peers
from mxgan.distributed.peers import ANSWERED, GONE_S, REFUSED, SILENT, Peers

import pytest

ROOT = Path(__file__).resolve().parent.parent
PEER = ("198.18.0.2", 9091)


@pytest.mark.parametrize("value, seconds", [(None, 60), ("5", 5), ("90.5", 90.5)])
def test_the_peer_timeout_is_60_s_unless_mxgan_peer_timeout_says(value, seconds):
    env = {} if value is None else {"MXGAN_PEER_TIMEOUT": value}
    assert peers.peer_timeout(env) == seconds


@pytest.mark.parametrize("value", ["soon", "", "4.9", "0", "-10", "nan", "inf"])
def test_a_peer_timeout_that_is_not_5_s_or_more_is_refused(value):
    with pytest.raises(ValueError, match=r"^MXGAN_PEER_TIMEOUT must be a number of seconds >= 5, "
                                         r"got %r$" % value):
        peers.peer_timeout({"MXGAN_PEER_TIMEOUT": value})


def test_a_probe_tells_a_listening_peer_from_a_port_nobody_listens_on():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = listener.getsockname()
        assert peers.probe(address) == ANSWERED
    assert peers.probe(address) == REFUSED


def test_a_silent_peer_is_lost_after_the_timeout_and_not_before():
    watched = Peers(timeout_s=60)
    watched.record(PEER, ANSWERED, now=100)
    watched.record(PEER, SILENT, now=130)
    assert watched.lost(now=159) is None
    assert watched.lost(now=160) == (PEER, "has not answered for 60 s (its machine is down or "
                                           "cut off)")
    watched.record(PEER, ANSWERED, now=161)  # back in time: the count starts again
    assert watched.lost(now=200) is None


def test_a_refusing_peer_is_lost_once_gone_s_have_passed():
    watched = Peers(timeout_s=60)
    watched.record(PEER, ANSWERED, now=0)
    watched.record(PEER, REFUSED, now=1)
    watched.record(PEER, REFUSED, now=5)  # the first refusal counts
    assert watched.lost(now=1 + GONE_S - 0.1) is None
    assert watched.lost(now=1 + GONE_S) == (
        PEER, "has refused connections for %d s (its process has ended)" % GONE_S)
    short = Peers(timeout_s=5)  # a timeout shorter than GONE_S wins
    short.record(PEER, REFUSED, now=0)
    assert short.lost(now=5)[0] == PEER


def test_the_lost_peer_line_names_the_scheduler_the_role_and_the_way_back():
    line = peers.lost_peer_message(("198.18.0.1", 9091), "has not answered for 60 s",
                                   role="worker", scheduler=("198.18.0.1", 9091))
    assert line == ("error: the KVStore job lost a peer: the scheduler at 198.18.0.1:9091 has not "
                    "answered for 60 s; this worker ends (exit 75); resume the run from its last "
                    "checkpoint with --resume")
    assert "the node at 198.18.0.2:9091" in peers.lost_peer_message(PEER, "", role="server")


def test_the_peers_found_are_the_listeners_this_process_connected_to():
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = listener.getsockname()
        client.connect(address)
        accepted, far_end = listener.accept()
        with accepted:
            found = peers.connected_peers()
    assert address in found  # the connection this process made
    assert far_end not in found  # the one it accepted: an ephemeral port, not a listener


WATCHED = ("import sys, time, mxgan.distributed.peers as p\n"
           "p.GONE_S, p.PROBE_EVERY_S = 0.5, 0.1\n"
           "address = ('127.0.0.1', int(sys.argv[1]))\n"
           "p.watch(lambda: {address}, 5, 'worker', address)\n"
           "print('watching', flush=True)\n"
           "time.sleep(60)")


@pytest.mark.slow
def test_the_watch_ends_its_process_with_one_line_once_the_peer_is_gone():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", WATCHED, str(port)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "watching\n"
        time.sleep(1)
        assert child.poll() is None  # the peer answers: the process runs on
        listener.close()
        started = time.monotonic()
        assert child.wait(timeout=30) == peers.PEER_LOST_EXIT
        assert time.monotonic() - started < 3
        assert child.stderr.read().strip() == (
            "error: the KVStore job lost a peer: the scheduler at 127.0.0.1:%d has refused "
            "connections for 1 s (its process has ended); this worker ends (exit 75); resume the "
            "run from its last checkpoint with --resume" % port)
    finally:
        child.kill()
        child.wait()
        listener.close()
