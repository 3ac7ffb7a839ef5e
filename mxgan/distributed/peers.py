"""A KVStore job that loses a machine ends, instead of waiting for it forever.

ps-lite, MXNet's KVStore transport, waits without a time limit for a peer that stopped answering
(its heartbeats, ``PS_HEARTBEAT_INTERVAL``, only let a restarted node take a dead one's place),
so when a machine drops off the network the rest of the job hangs in silence. Every process of a
job therefore runs a daemon thread that opens a TCP connection to each of its peers every
PROBE_EVERY_S: the scheduler and servers probe every node they connected to (the kernel's list
of this process's sockets), workers probe the scheduler, which ends with the first peer lost.
A peer that has not answered for ``MXGAN_PEER_TIMEOUT`` seconds (default PEER_TIMEOUT_S; its
machine is down or cut off), or has refused connections for GONE_S (its process has ended),
ends this process with one line and exit code PEER_LOST_EXIT.
"""
import os
import socket
import sys
import threading
import time
from pathlib import Path

# A KVStore job's variables besides DMLC_ROLE: where its scheduler listens and how many it has.
DMLC_JOB_VARIABLES = ("DMLC_PS_ROOT_URI", "DMLC_PS_ROOT_PORT", "DMLC_NUM_SERVER",
                      "DMLC_NUM_WORKER")
PEER_TIMEOUT_S = 60  # a silent peer's grace; a healthy peer's kernel answers within milliseconds
MIN_PEER_TIMEOUT_S = 5  # a few probes at least
# A finished job's processes leave within a second of each other (its KVStore's teardown is a
# barrier; 0.6 s measured across two hosts), so a peer refusing this long has died.
GONE_S = 10
PROBE_EVERY_S = 2  # also each probe's connection time limit
PEER_LOST_EXIT = 75  # EX_TEMPFAIL (sysexits.h): a temporary failure, the run resumes
SERVING_ROLES = ("scheduler", "server")
ANSWERED, REFUSED, SILENT = "answered", "refused", "silent"
LISTEN = "0A"  # a TCP socket's state in /proc/net/tcp
TCP_TABLES = (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6))


def peer_timeout(env):
    """Seconds a peer may stay silent: ``MXGAN_PEER_TIMEOUT`` in ``env``, else PEER_TIMEOUT_S; a
    `ValueError` that names the variable for anything but a number of seconds >= 5."""
    value = env.get("MXGAN_PEER_TIMEOUT")
    if value is None:
        return PEER_TIMEOUT_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not MIN_PEER_TIMEOUT_S <= seconds < float("inf"):
        raise ValueError("MXGAN_PEER_TIMEOUT must be a number of seconds >= %d, got %r"
                         % (MIN_PEER_TIMEOUT_S, value))
    return seconds


def scheduler_address(env):
    """(host, port) of the job's scheduler from ``DMLC_PS_ROOT_URI`` and ``DMLC_PS_ROOT_PORT``,
    or None when either is missing or the port is not a number."""
    try:
        return env["DMLC_PS_ROOT_URI"], int(env["DMLC_PS_ROOT_PORT"])
    except (KeyError, ValueError):
        return None


def probe(address, timeout_s=PROBE_EVERY_S):
    """Whether something accepts a TCP connection at ``address``: ANSWERED, REFUSED (the host
    answered, nothing listens) or SILENT (no answer in ``timeout_s``, or no route)."""
    try:
        with socket.create_connection(address, timeout_s):
            return ANSWERED
    except ConnectionRefusedError:
        return REFUSED
    except OSError:
        return SILENT


class Peers:
    """What the watch knows of each peer: when it last answered, since when it refuses."""

    def __init__(self, timeout_s):
        self.timeout_s = timeout_s
        self.answered = {}  # address -> when it last answered (or was first seen)
        self.refusing = {}  # address -> since when every probe was refused

    def record(self, address, outcome, now):
        """Note one probe's ``outcome`` at time ``now``."""
        self.answered.setdefault(address, now)
        if outcome == ANSWERED:
            self.answered[address] = now
        if outcome == REFUSED:
            self.refusing.setdefault(address, now)
        else:
            self.refusing.pop(address, None)

    def lost(self, now):
        """(address, what happened) of a peer lost by ``now``, or None."""
        for address, last in self.answered.items():
            since = self.refusing.get(address)
            if since is not None and now - since >= min(GONE_S, self.timeout_s):
                return address, "has refused connections for %.0f s (its process has ended)" % (
                    now - since)
            if since is None and now - last >= self.timeout_s:
                return address, "has not answered for %.0f s (its machine is down or cut off)" % (
                    now - last)
        return None


def watch(find_peers, timeout_s, role, scheduler=None):
    """Start the daemon thread that ends this process once a peer is lost; ``find_peers()``
    gives the addresses to watch (once seen, a peer stays watched)."""
    threading.Thread(target=_watch_forever, args=(find_peers, timeout_s, role, scheduler),
                     name="mxgan-peer-watch", daemon=True).start()


def _watch_forever(find_peers, timeout_s, role, scheduler):
    peers = Peers(timeout_s)
    while True:
        for address in set(find_peers()) | set(peers.answered):
            peers.record(address, probe(address), time.monotonic())
        lost = peers.lost(time.monotonic())
        if lost:
            end_process(lost_peer_message(*lost, role=role, scheduler=scheduler))
        time.sleep(PROBE_EVERY_S)


def lost_peer_message(address, what, *, role, scheduler=None):
    """The one line a process of the job leaves with when it loses ``address``."""
    who = "the scheduler" if address == scheduler else "the node"
    return ("error: the KVStore job lost a peer: %s at %s:%d %s; this %s ends (exit %d); resume "
            "the run from its last checkpoint with --resume" % (who, address[0], address[1], what,
                                                                 role, PEER_LOST_EXIT))


def end_process(message):
    """Leave at once with PEER_LOST_EXIT: the main thread may be waiting inside MXNet, where no
    Python exception reaches it, and would wait for good."""
    sys.stderr.write("\n%s\n" % message)  # its own line, even below a progress bar
    sys.stderr.flush()
    os._exit(PEER_LOST_EXIT)


def watch_if_serving(env):
    """Start a scheduler's or server's watch of every node it connects to (they serve their job
    inside ``import mxnet``, so this must come first); a `ValueError` for a bad
    MXGAN_PEER_TIMEOUT (`peer_timeout`)."""
    role = env.get("DMLC_ROLE")
    if role in SERVING_ROLES:
        watch(connected_peers, peer_timeout(env), role, scheduler_address(env))


# ---- this process's TCP connections, as the kernel lists them (Linux) --------------------------

def connected_peers(pid="self"):
    """The listening addresses of the peers process ``pid`` connected to: the far end of each of
    its TCP sockets, except those it accepted (whose local port it listens on)."""
    sockets = tcp_sockets(pid)
    listening = {local[1] for state, local, _ in sockets if state == LISTEN}
    return {remote for state, local, remote in sockets
            if state != LISTEN and local[1] not in listening}


def tcp_sockets(pid="self"):
    """(state, local (ip, port), remote (ip, port)) of every TCP socket process ``pid`` holds,
    IPv4 and IPv6; the state in the kernel's hex (LISTEN is "0A"). Empty without /proc."""
    proc = Path("/proc", str(pid))
    inodes = _socket_inodes(proc)
    if not inodes:
        return []
    found = []
    for table, family in TCP_TABLES:
        for line in (proc / "net" / table).read_text().splitlines()[1:]:
            _, local, remote, state, *rest = line.split()
            if rest[5] in inodes:  # rest[5]: the socket's inode
                found.append((state, _address(local, family), _address(remote, family)))
    return found


def _socket_inodes(proc):
    """The inodes of the sockets among a process's open files (none without /proc)."""
    try:
        fds = list((proc / "fd").iterdir())
    except OSError:  # not Linux, or the process is gone
        return set()
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    return inodes


def _address(hex_address, family):
    """"0100007F:1F90" -> ("127.0.0.1", 8080): the kernel writes each 32-bit word little-endian."""
    ip, port = hex_address.split(":")
    raw = b"".join(bytes.fromhex(ip[i:i + 8])[::-1] for i in range(0, len(ip), 8))
    return socket.inet_ntop(family, raw), int(port, 16)
