"""Two simulated hosts on one Linux machine (network namespaces joined by a veth pair), and the
README's multi-machine recipe run across them.

Host ``a`` is 198.18.0.1 and host ``b`` 198.18.0.2, from 198.18.0.0/15, the range set aside for
network tests (RFC 2544); nothing outside the two namespaces is ever addressed. `SimulatedHosts`
removes its namespaces, their link and every process left in them whatever happens, and first
clears what a killed run left (`remove_stale`). Needs root and iproute2 (``ip``; ``tc`` to shape
the link). Processes started in a namespace share the machine's files and CPUs.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PREFIX = "mxgan-h"  # namespaces mxgan-h<pid>-a and -b; the link's ends mxgan-h<pid>a and b
HOSTS = {"a": "198.18.0.1", "b": "198.18.0.2"}
PREFIX_LENGTH = 24
ROOT = Path(__file__).resolve().parent.parent
# The recipe: the job's variables on every host; host a runs the scheduler, a server and a
# worker, host b another worker; each listens on its own address (DMLC_NODE_HOST).
JOB = dict(DMLC_PS_ROOT_URI=HOSTS["a"], DMLC_PS_ROOT_PORT="9091", DMLC_NUM_SERVER="1",
           DMLC_NUM_WORKER="2")
PROCESSES = (("scheduler", "a"), ("server", "a"), ("worker", "a"), ("worker", "b"))
SERVE = [sys.executable, "-m", "mxgan.kvstore_server"]
_OURS = re.compile(r"^%s(\d+)-\w+" % re.escape(PREFIX))


def unavailable():
    """Why simulated hosts cannot be built here, or None when they can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "iproute2's ip is not installed"
    probe = "%s%d-probe" % (PREFIX, os.getpid())
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode:
        return "ip netns add fails here: %s" % made.stderr.strip()
    _ip("netns", "delete", probe)
    return None


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale():
    """Remove the namespaces (and their processes) of runs whose process has died."""
    for line in _ip("netns", "list").stdout.splitlines():
        match = _OURS.match(line)
        if match and not _pid_alive(int(match.group(1))):
            _remove_namespace(line.split()[0])


def _remove_namespace(name):
    """SIGKILL every process in namespace ``name``, then delete it (and so its end of the link)."""
    for _ in range(50):
        pids = [int(p) for p in _ip("netns", "pids", name, check=False).stdout.split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    _ip("netns", "delete", name, check=False)


class SimulatedHosts:
    """Hosts ``a`` and ``b`` (see `HOSTS`) joined by one veth pair, for a ``with`` block."""

    def __init__(self):
        self.tag = "%s%d" % (PREFIX, os.getpid())

    def namespace(self, host):
        return "%s-%s" % (self.tag, host)

    def device(self, host):
        return "%s%s" % (self.tag, host)  # at most 15 characters, a Linux interface name's limit

    def __enter__(self):
        remove_stale()
        try:
            self._build()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc):
        self.remove()

    def _build(self):
        for host in HOSTS:
            _ip("netns", "add", self.namespace(host))
        _ip("link", "add", self.device("a"), "type", "veth", "peer", "name", self.device("b"))
        for host, address in HOSTS.items():
            namespace, device = self.namespace(host), self.device(host)
            _ip("link", "set", device, "netns", namespace)
            _ip("-n", namespace, "addr", "add", "%s/%d" % (address, PREFIX_LENGTH), "dev", device)
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "link", "set", device, "up")

    def remove(self):
        """Kill every process in the namespaces and delete them, with the link."""
        for host in HOSTS:
            _remove_namespace(self.namespace(host))
        _ip("link", "delete", self.device("a"), check=False)  # if it never left this namespace

    def popen(self, host, command, **popen):
        """`subprocess.Popen` of ``command`` on ``host`` (its environment from ``env=``)."""
        return subprocess.Popen(["ip", "netns", "exec", self.namespace(host), *command], **popen)

    def pids(self, host):
        """The processes running on ``host``."""
        return [int(p) for p in _ip("netns", "pids", self.namespace(host)).stdout.split()]

    def cut(self, host):
        """Take ``host``'s end of the link down: the hosts no longer reach each other."""
        _ip("-n", self.namespace(host), "link", "set", self.device(host), "down")

    def shape(self, rate_bit_s):
        """Limit the link to ``rate_bit_s`` each way (``tc`` token bucket); None: unshaped."""
        for host in HOSTS:
            tc = ["tc", "-n", self.namespace(host), "qdisc"]
            subprocess.run(tc + ["del", "dev", self.device(host), "root"], capture_output=True)
            if rate_bit_s:
                burst = max(rate_bit_s // 8 // 250, 64 * 1024)  # 4 ms of traffic at the rate
                subprocess.run(tc + ["add", "dev", self.device(host), "root", "tbf", "rate",
                                     "%dbit" % rate_bit_s, "burst", str(burst), "latency",
                                     "100ms"], capture_output=True, text=True, check=True)


class RecipeJob:
    """The recipe's four processes on ``hosts``, started in the repository with ``env`` added;
    each one's output in LOGS/<role>-<host>.log."""

    def __init__(self, hosts, worker_command, logs, **env):
        self.logs, self.procs = Path(logs), {}
        for role, host in PROCESSES:
            name = "%s-%s" % (role, host)
            environment = dict(os.environ, **JOB, **env, DMLC_NODE_HOST=HOSTS[host],
                               DMLC_ROLE=role)
            with open(self.logs / (name + ".log"), "w") as log:
                self.procs[name] = hosts.popen(
                    host, worker_command if role == "worker" else SERVE, cwd=ROOT,
                    env=environment, stdout=log, stderr=subprocess.STDOUT)

    def wait(self, time_limit_s):
        """{name: (exit code, seconds it took)} once every process has ended; a `TimeoutError`
        naming those still running after ``time_limit_s``."""
        start, ended = time.monotonic(), {}
        while len(ended) < len(self.procs) and time.monotonic() - start < time_limit_s:
            for name, proc in self.procs.items():
                if name not in ended and proc.poll() is not None:
                    ended[name] = proc.returncode, time.monotonic() - start
            time.sleep(0.1)
        if len(ended) < len(self.procs):
            raise TimeoutError("still running after %d s: %s"
                               % (time_limit_s, ", ".join(sorted(set(self.procs) - set(ended)))))
        return ended

    def log(self, name):
        return (self.logs / (name + ".log")).read_text()
