"""Start a KVStore parameter-server job on this machine: scheduler, servers and workers.

    python -m mxgan.launch -n 2 -s 1 -- python examples/dcgan_mnist.py --kvstore dist_sync

Every process gets MXNet's ``DMLC_*`` variables for 127.0.0.1 and a free port; the workers run
the command, the scheduler and servers run MXNet's own server loop
(``python -m mxgan.kvstore_server``, which imports MXNet with ``DMLC_ROLE`` set). Every process
binds to 127.0.0.1 only (ps-lite has no authentication).
The launcher waits for the workers and ends every process it started when it stops: a worker
that fails or finishes long before the others, a server that dies, Ctrl-C, SIGTERM or SIGHUP
ends the whole job, with a message and a non-zero exit code, instead of leaving the others
waiting forever; if the launcher itself is killed, the kernel ends its children. Across
machines, set the same variables by hand (README, "Scaling out").
"""
import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

from . import USER_SET_OMP_THREADS
from .cli import DefaultsHelpFormatter, Parser, make_number_type, positive_int_type
from .common import capacity
from .common.files import format_bytes
from .distributed.parallel import scheduler_reachable

POLL_S = 0.2
# Memory each process of a job takes at least: Python with MXNet loaded (measured: 250 MiB).
PROCESS_BYTES = 250 * 2 ** 20
GRACE_S = 20  # how long the scheduler and servers get to shut down after the workers
# At the normal end every worker leaves within seconds of the others (a dist KVStore's teardown
# is a barrier); one that left this long before the others never joined them, and they would
# wait for it forever.
WORKER_GRACE_S = 60
MIN_PORT, MAX_PORT = 1024, 65535  # unprivileged ports only
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
port_type = make_number_type(int, lambda v: MIN_PORT <= v <= MAX_PORT,
                             "an integer from %d to %d" % (MIN_PORT, MAX_PORT))


class JobFailed(Exception):
    """A process of the job failed; the message says which and how."""


def free_port():
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def job_environment(*, workers, servers, port, host="127.0.0.1"):
    """The variables every process of a KVStore job needs, except its role.

    Servers and workers bind to ``host`` (``DMLC_NODE_HOST``): without it ps-lite listens on the
    machine's network interface. OpenMP threads are split between the workers unless the user
    chose, so workers on one machine do not fight over its cores.
    """
    env = dict(os.environ, DMLC_PS_ROOT_URI=host, DMLC_PS_ROOT_PORT=str(port), DMLC_NODE_HOST=host,
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
        server_loop = [sys.executable, "-m", "mxgan.kvstore_server"]
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
                                    start_new_session=True, preexec_fn=_die_with(os.getpid()))
        except OSError as err:  # e.g. a misspelt program
            raise JobFailed("cannot start %s (%s): %s" % (name, " ".join(command), err)) from None
        self.procs.append((name, proc))

    def run(self):
        """Wait until every worker exits 0; raise `JobFailed` as soon as any process fails, or
        once a worker has finished WORKER_GRACE_S before others still running.

        The scheduler and servers leave (with 0) only once every worker has shut its KVStore
        down, which a worker may do before it exits: that is not a failure.
        """
        finished = {}  # worker name -> (pid, when it was first seen finished)
        while True:
            for name, proc in self.procs:
                code = proc.poll()
                if code:
                    raise JobFailed("%s (pid %d) exited with code %d%s"
                                    % (name, proc.pid, code, _signal_name(code)))
                if code == 0 and name.startswith("worker"):
                    finished.setdefault(name, (proc.pid, time.monotonic()))
            if len(finished) == self.workers:
                return
            if finished:
                self._check_early_exit(finished)
            time.sleep(POLL_S)

    def _check_early_exit(self, finished):
        """Raise `JobFailed` once the first finished worker has waited WORKER_GRACE_S for the
        others: one that never joined their KVStore would keep them waiting forever."""
        name, (pid, when) = min(finished.items(), key=lambda item: item[1][1])
        if time.monotonic() - when > WORKER_GRACE_S:
            running = [n for n, p in self.procs if n.startswith("worker") and n not in finished]
            raise JobFailed("%s (pid %d) finished before the others (%s still running %d s "
                            "later, and would wait for it forever)"
                            % (name, pid, ", ".join(running), WORKER_GRACE_S))

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


def _die_with(parent):
    """A `subprocess.Popen` ``preexec_fn``: the child gets SIGTERM when the launcher dies, even
    by SIGKILL (Linux ``prctl(PR_SET_PDEATHSIG)``), and leaves at once if it already has."""
    if _LIBC is None:  # elsewhere the launcher's own stop() is all there is
        return None

    def preexec():
        _LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)
    return preexec


def _exit_on_signal(signum, frame):
    """SIGTERM or SIGHUP (the terminal closed): exit 128 + the signal's number, stopping the job."""
    raise SystemExit(128 + signum)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _signal_name(code):
    return " (%s)" % signal.Signals(-code).name if code < 0 else ""


def build_parser():
    parser = Parser(
        prog="python -m mxgan.launch", description=__doc__.splitlines()[0],
        formatter_class=DefaultsHelpFormatter,
        usage="%(prog)s [-n WORKERS] [-s SERVERS] [--port PORT] -- COMMAND ...")
    parser.add_argument("-n", "--workers", type=positive_int_type, default=2,
                        help="worker processes")
    parser.add_argument("-s", "--servers", type=positive_int_type, default=1,
                        help="parameter servers")
    parser.add_argument("--port", type=port_type,
                        help="scheduler port, %d-%d (default: a free one)" % (MIN_PORT, MAX_PORT))
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
    if args.port and scheduler_reachable(
            {"DMLC_PS_ROOT_URI": "127.0.0.1", "DMLC_PS_ROOT_PORT": args.port}, 0):
        parser.error("something already listens on 127.0.0.1:%d (another job's scheduler?): "
                     "choose another --port, or leave it out for a free one" % args.port)
    processes = args.workers + args.servers + 1  # and the scheduler
    if processes * PROCESS_BYTES > capacity.available_memory():
        parser.error("-n %d and -s %d start %d processes of MXNet, which need at least %s of "
                     "memory, and %s is available: lower -n or -s"
                     % (args.workers, args.servers, processes,
                        format_bytes(processes * PROCESS_BYTES),
                        format_bytes(capacity.available_memory())))
    return args


def main(argv=None):
    args = parse_args(argv)
    job = Job(args.command, workers=args.workers, servers=args.servers,
              port=args.port or free_port())
    signal.signal(signal.SIGTERM, _exit_on_signal)
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:  # under nohup, outlive the terminal
        signal.signal(signal.SIGHUP, _exit_on_signal)
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
