"""Records: the one source of every figure the README and the pages show.

A record file is JSON lines in ``records/``, one measurement a line, appended by the script that
measured it; each record carries its `provenance` (the command, the commit, the date, the machine
and the library versions) under the key ``"provenance"``. ``python docs/render.py`` renders the
pages' tables from these files; ``records/history/`` keeps older results that have no provenance.
"""
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"


def command_line(script, argv=None):
    """``python SCRIPT ARGS`` as typed from the repository root: the script's path relative to the
    root and ``argv`` (default: this process's arguments), quoted where the shell needs it."""
    script = Path(script).resolve()
    try:
        script = script.relative_to(ROOT)
    except ValueError:
        pass
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", shlex.quote(str(script))] + [shlex.quote(str(a)) for a in args])


# What measuring writes, so what may differ from the commit without making it "-dirty".
OUTPUTS = ("records", "docs/img", "docs/*.ipynb", "docs/*.md", "README.md")


def provenance(command):
    """Where a figure comes from: ``command`` (as typed, repository-relative), the commit
    (``-dirty`` when the work tree has changes), the UTC date, the machine and the versions."""
    return {"command": command, "commit": commit(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpu": cpu_model(), "cores": os.cpu_count()},
            "python": platform.python_version(), "numpy": _version("numpy"),
            "mxnet": _version("mxnet")}


def commit():
    """The checked-out commit, with ``-dirty`` when tracked files other than measurements'
    outputs (`OUTPUTS`: the records, pictures, notebooks and rendered pages, which a run of
    `make figures` itself changes) differ from it; "unknown" outside a git work tree."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    head = git("rev-parse", "HEAD")
    if head.returncode:
        return "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                *(":!" + path for path in OUTPUTS)).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(module):
    """A module's ``__version__``, imported here ("not installed" without it)."""
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"


def append(path, record):
    """Add ``record`` to the JSON-lines file ``path`` as one line, flushed to disk, so that a
    crash leaves every earlier record whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def write(path, command, figures):
    """`append` ``figures`` with the `provenance` of ``command``; the path."""
    return append(path, dict(figures, provenance=provenance(command)))


def read(path):
    """Every record of a JSON-lines file, oldest first."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
