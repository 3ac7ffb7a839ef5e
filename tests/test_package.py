"""The package's shape: one-way imports, MXNet's private API in one module, small files and
functions, a test file per module, and the environment check `import mxgan` makes."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mxgan"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py"))
PRIVATE_MXNET = ("_exec_group", "_updater", "_kvstore", "_update_params", "_index_update_count",
                 "_all_index_update_counts", "_shuffle_data", "states_synced")
MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_EXAMPLE_LINES = 350, 40, 80


def _tree(module):
    return ast.parse((PACKAGE / (module + ".py")).read_text())


def _package_imports(module):
    """The mxgan modules ``module`` imports at its top level (``from . import x``, ``from .x``)."""
    found = set()
    for node in _tree(module).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
    return found - {"__init__"}


def _cycle():
    """One import cycle among the package's modules, or None."""
    graph = {module: _package_imports(module) for module in MODULES}
    state = {}

    def visit(module, path):
        state[module] = "open"
        for imported in graph.get(module, ()):
            if state.get(imported) == "open":
                return path + [imported]
            if imported not in state:
                found = visit(imported, path + [imported])
                if found:
                    return found
        state[module] = "done"
        return None
    for module in MODULES:
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def test_the_package_imports_one_way():
    assert _cycle() is None


def test_the_cycle_finder_finds_a_cycle(monkeypatch):
    fake = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    monkeypatch.setattr(sys.modules[__name__], "MODULES", list(fake))
    monkeypatch.setattr(sys.modules[__name__], "_package_imports", fake.get)
    assert _cycle() == ["a", "b", "c", "a"]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_on_its_own(module):
    result = subprocess.run([sys.executable, "-c", "import mxgan.%s" % module], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_function_imports_a_module_of_the_package():
    late = ["%s:%d" % (module, node.lineno) for module in MODULES
            for function in ast.walk(_tree(module))
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, ast.ImportFrom) and (node.level or "mxgan" in (node.module or ""))]
    assert late == []


def test_the_launcher_loads_no_plotting_or_progress_bars():
    code = ("import sys, mxgan.launch; print(sorted(m for m in ('matplotlib', 'tqdm') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


def test_private_mxnet_names_appear_in_one_module_only():
    private = re.compile(r"\.(%s)\b" % "|".join(PRIVATE_MXNET))
    users = {module for module in MODULES
             if private.search((PACKAGE / (module + ".py")).read_text())}
    assert users == {"mxnet_internals"}


def test_every_module_has_a_test_file():
    tests = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    missing = [m for m in MODULES if "test_" + m.strip("_") not in tests
               and not (m == "__init__" and "test_package" in tests)]
    assert missing == []


def _function_lengths(module):
    """(name, body lines without the docstring) of every function of a module."""
    for node in ast.walk(_tree(module)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            yield node.name, body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_files_and_functions_stay_small():
    long_files = [m for m in MODULES
                  if len((PACKAGE / (m + ".py")).read_text().splitlines()) > MAX_FILE_LINES]
    long_functions = ["%s.%s (%d lines)" % (m, name, length) for m in MODULES
                      for name, length in _function_lengths(m) if length > MAX_FUNCTION_LINES]
    long_examples = [p.name for p in (ROOT / "examples").glob("*.py")
                     if len(p.read_text().splitlines()) >= MAX_EXAMPLE_LINES]
    assert (long_files, long_functions, long_examples) == ([], [], [])


def test_import_explains_an_unsupported_numpy_in_one_sentence(tmp_path):
    """`import mxgan` checks its environment first: a numpy MXNet cannot run with is one
    ImportError naming the fix, not a traceback from inside MXNet."""
    fake = tmp_path / "numpy"
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = '1.20.3'\n")
    result = subprocess.run([sys.executable, "-c", "import mxgan"], cwd=ROOT,
                            env={"PYTHONPATH": "%s:%s" % (tmp_path, ROOT), "PATH": "/usr/bin"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: mxgan: numpy 1.20.3 is too old for MXNet 1.9.1, which needs 1.21 or newer: "
        "run `pip install -e .`, which picks the numpy for this Python.")


def test_import_names_setuptools_when_distutils_is_missing(tmp_path):
    """Python 3.12 dropped distutils, which MXNet 1.9.1 imports: one line says what brings it."""
    fake = tmp_path / "mxnet"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'distutils'\", name='distutils')\n")
    result = subprocess.run([sys.executable, "-c", "import mxgan"], cwd=ROOT,
                            env={"PYTHONPATH": "%s:%s" % (tmp_path, ROOT), "PATH": "/usr/bin"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: mxgan: MXNet 1.9.1 imports distutils, which left the standard library in "
        "Python 3.12: run `pip install setuptools`, which provides it again.")


def test_import_on_a_python_below_3_9_says_which_work():
    """Checked before numpy is imported, so it holds where numpy is not even installed."""
    python38 = next(iter(sorted(Path.home().glob(".pyenv/versions/3.8*/bin/python3.8"))), None)
    if python38 is None:
        pytest.skip("no Python 3.8 on this machine")
    result = subprocess.run([str(python38), "-c", "import mxgan"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: mxgan: Python 3.8 is too old: mxgan runs on Python 3.9 and newer "
        "(tested on 3.9-3.13).")
