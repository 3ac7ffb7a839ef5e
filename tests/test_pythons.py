"""Every other supported Python on this machine installs mxgan and passes the smoke.

The whole suite runs on the default interpreter; here each other CPython from 3.9 on that the
machine has (on PATH, or under pyenv) gets a virtual environment of its own in `.venvs/3.X`,
built by the Makefile's own recipe (so it is the README's set-up, rebuilt when setup.py or the
Makefile changes), and runs tests/smoke.py. The newest also executes the tutorials' notebooks.
By default the two newest are smoked; `MXGAN_SMOKE_PYTHONS=all` takes every one found,
`MXGAN_SMOKE_PYTHONS=3.9,3.10` those named, `none` none.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OLDEST = (3, 9)
# Each Python costs about a minute (its environment, the smoke) of a suite kept under 10 minutes.
NEWEST_BY_DEFAULT = 2
TIMEOUT_S = 900


def _version(python):
    """(major, minor) of an interpreter, or None when it does not run (a pyenv shim may not)."""
    try:
        done = subprocess.run([str(python), "-c", "import sys; print(*sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    found = re.fullmatch(r"(\d+) (\d+)\n", done.stdout)
    return (int(found[1]), int(found[2])) if done.returncode == 0 and found else None


def _candidates():
    """Interpreters named python3.X on PATH, then under pyenv's versions."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        yield from sorted(Path(directory).glob("python3.[0-9]*"))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    yield from sorted(pyenv.glob("versions/3.*/bin/python3.[0-9]*"))


def other_pythons():
    """{"3.X": interpreter} of the supported Pythons here but this one that MXGAN_SMOKE_PYTHONS
    asks for, oldest first."""
    found = {}
    for python in _candidates():
        if re.fullmatch(r"python3\.\d+", python.name):
            version = _version(python)
            if version and version >= OLDEST and version != sys.version_info[:2]:
                found.setdefault("%d.%d" % version, python)
    found = dict(sorted(found.items(), key=lambda item: tuple(map(int, item[0].split(".")))))
    wanted = os.environ.get("MXGAN_SMOKE_PYTHONS", "newest")
    if wanted == "newest":
        return dict(list(found.items())[-NEWEST_BY_DEFAULT:])
    return found if wanted == "all" else {v: p for v, p in found.items() if v in wanted.split(",")}


PYTHONS = other_pythons()
NEWEST = list(PYTHONS)[-1] if PYTHONS else None


def _run(argv, what):
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (what, done.stdout[-3000:],
                                                       done.stderr[-3000:])
    return done.stdout


def _environment(version):
    """The Makefile's environment for one Python, built or brought up to date."""
    venv = ROOT / ".venvs" / version
    _run(["make", "-s", "venv", "VENV=%s" % venv.relative_to(ROOT),
          "PYTHON=%s" % PYTHONS[version]], "setting up Python %s" % version)
    return venv / "bin" / "python"


def test_the_python_finder_reads_versions_and_skips_what_does_not_run(tmp_path):
    fake = tmp_path / "python3.99"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    assert _version(fake) is None
    assert _version(sys.executable) == sys.version_info[:2]


@pytest.mark.slow
@pytest.mark.skipif(not PYTHONS, reason="no other supported Python (3.9+) on this machine, "
                                        "or MXGAN_SMOKE_PYTHONS=none")
@pytest.mark.parametrize("version", list(PYTHONS) or ["none"])
def test_another_python_installs_and_runs_the_smoke(version, tmp_path):
    python = _environment(version)
    output = _run([str(python), "tests/smoke.py", str(tmp_path)], "the smoke on %s" % version)
    assert output.count("\nok  ") >= 6, output
    if version == NEWEST:
        _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
              "tests/test_tutorials.py"], "the notebooks on Python %s" % version)
