"""Start a KVStore parameter-server job on this machine: scheduler, servers and workers.

    python -m mxgan.launch -n 2 -s 1 -- python examples/dcgan_mnist.py --kvstore dist_sync

Every process gets MXNet's ``DMLC_*`` variables for 127.0.0.1 and a free port; the workers run
the command, the scheduler and servers run MXNet's own server loop (``import mxnet`` with
``DMLC_ROLE`` set). The launcher waits for the workers and ends every process it started when
it stops: a worker that fails, a server that dies or Ctrl-C ends the whole job, with a message
and a non-zero exit code, instead of leaving the others waiting forever. Across machines, set
the same variables by hand (README, "Scaling out").
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from . import USER_SET_OMP_THREADS
from .cli import DefaultsHelpFormatter

POLL_S = 0.2
GRACE_S = 20  # how long the scheduler and servers get to shut down after the workers


class JobFailed(Exception):
    """A process of the job failed; the message says which and how."""


def free_port():
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def job_environment(*, workers, servers, port, host="127.0.0.1"):
    """The variables every process of a KVStore job needs, except its role.

    OpenMP threads are split between the workers unless the user chose, so workers on one
    machine do not fight over its cores.
    """
    env = dict(os.environ, DMLC_PS_ROOT_URI=host, DMLC_PS_ROOT_PORT=str(port),
               DMLC_NUM_SERVER=str(servers), DMLC_NUM_WORKER=str(workers))
    if not USER_SET_OMP_THREADS:
        env["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // workers))
    return env


class Job:
    """The processes of one job; ``stop()`` ends those still running, ``run()`` supervises."""

    def __init__(self, command, *, workers, servers, port):
        self.command = command
        self.env = job_environment(workers=workers, servers=servers, port=port)
        self.procs = []  # (name, Popen)
        self.workers, self.servers = workers, servers

    def start(self):
        server_loop = [sys.executable, "-c", "import mxnet"]
        self._spawn("scheduler", "scheduler", server_loop)
        for i in range(self.servers):
            self._spawn("server %d" % i, "server", server_loop)
        for i in range(self.workers):
            self._spawn("worker %d" % i, "worker", self.command)

    def _spawn(self, name, role, command):
        # Each child leads its own process group, so a terminal's Ctrl-C reaches the launcher
        # alone, and stop() can end a child together with anything it started.
        try:
            proc = subprocess.Popen(command, env=dict(self.env, DMLC_ROLE=role),
                                    start_new_session=True)
        except OSError as err:  # e.g. a misspelt program
            raise JobFailed("cannot start %s (%s): %s" % (name, " ".join(command), err)) from None
        self.procs.append((name, proc))

    def run(self):
        """Wait until every worker exits 0; raise `JobFailed` as soon as any process fails.

        The scheduler and servers leave (with 0) only once every worker has shut its KVStore
        down, which a worker may do before it exits: that is not a failure.
        """
        while not self._workers_done():
            for name, proc in self.procs:
                code = proc.poll()
                if code:
                    raise JobFailed("%s (pid %d) exited with code %d%s"
                                    % (name, proc.pid, code, _signal_name(code)))
            time.sleep(POLL_S)

    def _workers_done(self):
        return all(proc.poll() == 0 for name, proc in self.procs if name.startswith("worker"))

    def wait_for_servers(self, timeout=GRACE_S):
        """Give the scheduler and servers time to shut down once the workers finished."""
        deadline = time.monotonic() + timeout
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass

    def stop(self):
        """End every process still running (SIGTERM, then SIGKILL after 5 s), whole groups."""
        alive = [proc for _, proc in self.procs if proc.poll() is None]
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            for proc in alive:
                _signal_group(proc, sig)
            deadline = time.monotonic() + wait_s
            while alive and time.monotonic() < deadline:
                alive = [proc for proc in alive if proc.poll() is None]
                time.sleep(0.05)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _signal_name(code):
    return " (%s)" % signal.Signals(-code).name if code < 0 else ""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m mxgan.launch", description=__doc__.splitlines()[0],
        formatter_class=DefaultsHelpFormatter,
        usage="%(prog)s [-n WORKERS] [-s SERVERS] [--port PORT] -- COMMAND ...")
    parser.add_argument("-n", "--workers", type=int, default=2, help="worker processes")
    parser.add_argument("-s", "--servers", type=int, default=1, help="parameter servers")
    parser.add_argument("--port", type=int, help="scheduler port (default: a free one)")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="what each worker runs, after --")
    return parser


def parse_args(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("give the workers' command after --, e.g. -- python "
                     "examples/dcgan_mnist.py --kvstore dist_sync")
    if args.workers < 1 or args.servers < 1:
        parser.error("-n and -s must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    job = Job(args.command, workers=args.workers, servers=args.servers,
              port=args.port or free_port())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still ends the children
    try:
        job.start()
        job.run()
        job.wait_for_servers()
        return 0
    except JobFailed as err:
        print("mxgan.launch: %s; stopping the other processes of the job" % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mxgan.launch: interrupted; stopping the job (rerun with --resume to continue "
              "from the latest checkpoint)", file=sys.stderr)
        return 130
    finally:
        job.stop()


if __name__ == "__main__":
    sys.exit(main())
