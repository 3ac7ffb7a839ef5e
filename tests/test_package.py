"""The package's shape: folders that name the parts and, beside them, the modules a user runs;
imports that run one way between them; MXNet's private API in one module; files and functions
within a budget that leaves room; a test file per module; and the environment check
`import mxgan` makes."""
import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mxgan

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mxgan"
# The parts, each a folder whose __init__.py only says what it holds. (cli/ is the command line's
# face: its __init__.py hands on the names the examples use.)
PARTS = ("common", "distributed", "nets", "data", "quality", "training", "runs")
# What stands at the top beside the folders: the modules a user runs (`python -m mxgan.NAME`, or
# `run`, the examples' engine).
ENTRY_POINTS = ("evaluate", "export", "kvstore_server", "launch", "run", "showcase")
# The layers, lowest first: a module imports from its own layer or a lower one, never a higher.
# A name is a module or a folder (all of it); the longest name holding a module places it.
# distributed/peers.py is shared: `import mxgan` starts a KVStore server's watch of its peers.
# nets sits below data because the iterators feed the networks' ``cond`` input in the encoding
# nets/conditions.py defines; nets needs no data.
LAYERS = (
    ("shared", ("mxgan", "mxgan.common", "mxgan.distributed.peers")),
    ("distributed", ("mxgan.distributed",)),
    ("nets", ("mxgan.nets",)),
    ("data", ("mxgan.data",)),
    ("quality", ("mxgan.quality",)),
    ("training", ("mxgan.training",)),
    ("runs", ("mxgan.runs",)),
    ("command line", ("mxgan.cli",)),
    ("entry points", tuple("mxgan." + name for name in ENTRY_POINTS)),
)
PRIVATE_MXNET = ("_exec_group", "_exec", "_buckets", "_curr_module", "_updater", "_kvstore",
                 "_optimizer", "_preload_opt_states", "_params_dirty", "_arg_params",
                 "_aux_params", "_update_params", "_index_update_count",
                 "_all_index_update_counts", "_shuffle_data", "states_synced")
PROJECT_PYTHON = ("mxgan", "tests", "examples", "benchmarks", "docs")
# Budgets with room: past them a file splits at a seam a reader would name. The files today
# stay well under (`test_the_budgets_leave_room`), so an addition never needs a squeeze.
MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_EXAMPLE_LINES = 400, 40, 120
ROOM = 0.85  # the largest file holds at most this share of its budget
# What an example may define beside its PROFILES: the rest lives in the package, tested.
EXAMPLE_FUNCTIONS = {"build_parser", "main"}


def _module_name(path):
    """``mxgan/training/cgan.py`` -> ``mxgan.training.cgan``; a folder's __init__.py: the folder."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
MODULES = sorted(FILES)


def _tree(module):
    return ast.parse(FILES[module].read_text())


def _package_of(module):
    """The package a module's relative imports start from: itself for a folder's __init__."""
    return module if FILES[module].name == "__init__.py" else module.rpartition(".")[0]


def _imported(module, node):
    """The mxgan modules one import statement of ``module`` names (a name imported from a
    package counts as its module when it is one)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name.split(".")[0] == "mxgan"}
    source = node.module or ""
    if node.level:  # from . (the importer's package), from .. (its parent), ...
        package = _package_of(module).split(".")
        source = ".".join(package[:len(package) - node.level + 1] + ([source] if source else []))
    if source.split(".")[0] != "mxgan":
        return set()
    return {"%s.%s" % (source, alias.name) if "%s.%s" % (source, alias.name) in FILES else source
            for alias in node.names}


def _package_imports(module):
    """The mxgan modules ``module`` imports, wherever in the file the import stands."""
    return set().union(*(_imported(module, node) for node in ast.walk(_tree(module))
                         if isinstance(node, (ast.Import, ast.ImportFrom)))) - {module}


def layer_of(module):
    """The index in `LAYERS` of the module's layer (the longest name that holds it), or None."""
    holders = [(len(name), index) for index, (_, names) in enumerate(LAYERS) for name in names
               if module == name or module.startswith(name + ".")]
    return max(holders)[1] if holders else None


def upward_imports(graph):
    """``importer -> imported`` for every import that runs to a higher layer."""
    return sorted("%s -> %s" % (module, imported) for module, imports in graph.items()
                  for imported in imports if layer_of(imported) > layer_of(module))


def _cycle(graph):
    """One import cycle of ``graph`` ({module: imported modules}), or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                return path + [imported]
            if imported not in state:
                found = visit(imported, path + [imported])
                if found:
                    return found
        state[module] = "done"
        return None
    for module in sorted(graph):
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def _import_graph():
    return {module: _package_imports(module) for module in MODULES}


# ---- the parts and the direction of imports ---------------------------------------------------

def test_every_module_stands_in_a_layer():
    assert [module for module in MODULES if layer_of(module) is None] == []


def test_the_top_holds_the_parts_and_the_entry_points_only():
    folders = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file())
    modules = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert (folders, modules) == (sorted(PARTS + ("cli",)), sorted(ENTRY_POINTS + ("__init__",)))


def test_every_layer_is_a_part_or_an_entry_point():
    """The layer order names what stands in the package, and nothing that does not."""
    named = {name for _, names in LAYERS for name in names}
    assert named - {"mxgan"} <= set(FILES), sorted(named - set(FILES))
    assert {"mxgan." + part for part in PARTS + ("cli",)} <= named


@pytest.mark.parametrize("name", PARTS)
def test_a_parts_init_says_what_it_is_and_nothing_more(name):
    tree = ast.parse((PACKAGE / name / "__init__.py").read_text())
    assert len(tree.body) == 1 and ast.get_docstring(tree)


def test_imports_run_down_the_layers_only():
    assert upward_imports(_import_graph()) == []


def test_the_package_has_no_import_cycle():
    assert _cycle(_import_graph()) is None


def test_the_layer_check_finds_an_import_running_up():
    graph = {"mxgan.nets.symbols": {"mxgan.data.sources"}, "mxgan.common.files": {"mxgan.cli"},
             "mxgan.runs.loop": {"mxgan.quality.scores", "mxgan.common.viz"}}
    assert upward_imports(graph) == ["mxgan.common.files -> mxgan.cli",
                                     "mxgan.nets.symbols -> mxgan.data.sources"]


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_relative_imports_are_read_from_the_importing_package():
    assert _package_imports("mxgan.training.cgan") >= {"mxgan.distributed.parallel",
                                                       "mxgan.data.iters", "mxgan.nets.conditions"}
    assert "mxgan" in _package_imports("mxgan.training.checkpoint")  # __version__


# ---- modules ----------------------------------------------------------------------------------

# One interpreter imports each module with no module of mxgan loaded before it (MXNet, numpy and
# the like stay loaded: they are not what this checks), the launcher first, and says what the
# launcher alone loaded of the plotting and progress-bar libraries.
IMPORT_EACH_ALONE = """
import importlib, json, sys, traceback
failed, launcher_loads = {}, None
for module in sys.argv[1:]:
    for name in [name for name in sys.modules if name == "mxgan" or name.startswith("mxgan.")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except Exception:
        failed[module] = traceback.format_exc(limit=-3)
    if launcher_loads is None:
        launcher_loads = sorted(m for m in ("matplotlib", "tqdm") if m in sys.modules)
print(json.dumps({"failed": failed, "launcher_loads": launcher_loads}))
"""


@pytest.fixture(scope="module")
def imported_alone():
    order = ["mxgan.launch"] + [module for module in MODULES if module != "mxgan.launch"]
    result = subprocess.run([sys.executable, "-c", IMPORT_EACH_ALONE, *order], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_module_imports_on_its_own(imported_alone):
    assert imported_alone["failed"] == {}


def test_the_launcher_loads_no_plotting_or_progress_bars(imported_alone):
    assert imported_alone["launcher_loads"] == []


def test_no_function_imports_a_module_of_the_package():
    late = ["%s:%d" % (module, node.lineno) for module in MODULES
            for function in ast.walk(_tree(module))
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, ast.ImportFrom) and (node.level or "mxgan" in (node.module or ""))]
    assert late == []


def test_private_mxnet_names_appear_in_one_module_only_tests_included():
    private = re.compile(r"\.(%s)\b" % "|".join(PRIVATE_MXNET))
    users = {str(path.relative_to(ROOT)) for folder in PROJECT_PYTHON
             for path in (ROOT / folder).rglob("*.py") if private.search(path.read_text())}
    assert users == {"mxgan/common/mxnet_internals.py"}


def test_every_module_has_a_test_file():
    """Named for the module, or for the folder of small modules it stands in (tests/test_cli.py)."""
    tests = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    missing = [m for m in MODULES if FILES[m].name != "__init__.py"
               and not {"test_" + m.split(".")[-1], "test_" + m.split(".")[-2]} & tests]
    assert missing == []


def _function_lengths(module):
    """(name, body lines without the docstring) of every function of a module."""
    for node in ast.walk(_tree(module)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            yield node.name, body[-1].end_lineno - body[0].lineno + 1 if body else 0


def _lines(path):
    return len(path.read_text().splitlines())


def test_files_and_functions_stay_within_their_budgets():
    long_files = [m for m in MODULES if _lines(FILES[m]) > MAX_FILE_LINES]
    long_functions = ["%s.%s (%d lines)" % (m, name, length) for m in MODULES
                      for name, length in _function_lengths(m) if length > MAX_FUNCTION_LINES]
    assert (long_files, long_functions) == ([], [])


def test_the_budgets_leave_room():
    """No file sits at its budget: the largest leaves room for the next change."""
    largest = max(MODULES, key=lambda m: _lines(FILES[m]))
    assert _lines(FILES[largest]) <= ROOM * MAX_FILE_LINES, largest


EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_an_example_is_thin(example):
    """Its profiles, its parser and main: all other logic is the package's, tested."""
    functions = {node.name for node in ast.parse(example.read_text()).body
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert functions <= EXAMPLE_FUNCTIONS and _lines(example) <= MAX_EXAMPLE_LINES


def _import_mxgan_beside(tmp_path, package, init_source):
    """`import mxgan` in a fresh interpreter that finds a fake ``package`` first."""
    fake = tmp_path / package
    fake.mkdir()
    (fake / "__init__.py").write_text(init_source)
    return subprocess.run([sys.executable, "-c", "import mxgan"], cwd=ROOT,
                          env={"PYTHONPATH": "%s:%s" % (tmp_path, ROOT), "PATH": "/usr/bin"},
                          capture_output=True, text=True, timeout=120)


def test_import_explains_an_unsupported_numpy_in_one_sentence(tmp_path):
    """`import mxgan` checks its environment first: a numpy MXNet cannot run with is one
    ImportError naming the fix, not a traceback from inside MXNet."""
    result = _import_mxgan_beside(tmp_path, "numpy", "__version__ = '1.20.3'\n")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: mxgan: numpy 1.20.3 is too old for MXNet 1.9.1, which needs 1.21 or newer: "
        "run `pip install -e .`, which picks the numpy for this Python.")


def test_import_names_setuptools_when_distutils_is_missing(tmp_path):
    """Python 3.12 dropped distutils, which MXNet 1.9.1 imports: one line says what brings it."""
    result = _import_mxgan_beside(
        tmp_path, "mxnet",
        "raise ModuleNotFoundError(\"No module named 'distutils'\", name='distutils')\n")
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


def _import_mxgan(env, *command):
    """Run ``python -c 'import mxgan'`` (or ``command``) with ``env`` added; a hang fails."""
    result = subprocess.run([sys.executable, *(command or ("-c", "import mxgan"))], cwd=ROOT,
                            env=dict(os.environ, **env), capture_output=True, text=True,
                            timeout=60)
    return result.returncode, result.stderr.strip().splitlines()


@pytest.mark.parametrize("env, message", [
    ({"DMLC_ROLE": "scheduler"}, "error: DMLC_ROLE=scheduler would make this process a KVStore "
                                 "scheduler, waiting for a job forever: unset DMLC_ROLE"),
    ({"DMLC_ROLE": "server"}, "error: DMLC_ROLE=server would make this process a KVStore server"),
    ({"DMLC_ROLE": "Worker"}, "error: DMLC_ROLE='Worker' is not a KVStore role (worker, server or "
                              "scheduler): unset DMLC_ROLE"),
    ({"OMP_NUM_THREADS": "2.5"}, "error: OMP_NUM_THREADS='2.5' is not a whole number"),
], ids=["scheduler", "server", "typo", "threads"])
def test_a_variable_mxnet_would_hang_or_abort_on_is_one_line_and_exit_2(env, message):
    """MXNet acts on these when it is imported (a scheduler or server waits for its job forever;
    the others abort): `import mxgan` checks them first."""
    code, lines = _import_mxgan(env)
    assert code == 2 and len(lines) == 1 and lines[0].startswith(message)


def test_only_the_kvstore_server_may_take_a_server_role_and_it_needs_the_jobs_variables():
    code, lines = _import_mxgan({"DMLC_ROLE": "scheduler", "DMLC_NUM_WORKER": "1"},
                                "-u", "-m", "mxgan.kvstore_server")
    assert (code, lines) == (2, ["error: a KVStore scheduler needs DMLC_PS_ROOT_URI, "
                                 "DMLC_PS_ROOT_PORT, DMLC_NUM_SERVER set (README, 'Scaling out')"])


@pytest.mark.parametrize("command, module", [
    (["python", "-m", "mxgan.kvstore_server"], "mxgan.kvstore_server"),
    (["python", "-u", "-X", "dev", "-W", "ignore", "-mmxgan.kvstore_server"],
     "mxgan.kvstore_server"),
    (["python", "-c", "import mxgan", "-m", "mxgan.kvstore_server"], None),
    (["python", "examples/dcgan_mnist.py", "-m", "mxgan.kvstore_server"], None),
    (["python"], None),
])
def test_the_module_a_command_line_runs_is_read_past_pythons_own_options(command, module):
    assert mxgan._module_run_by(command) == module


def test_without_orig_argv_the_command_line_comes_from_proc(monkeypatch):
    """Python 3.9 has no sys.orig_argv; there /proc/self/cmdline says what runs."""
    if not Path("/proc/self/cmdline").exists():
        pytest.skip("no /proc on this system")
    expected = mxgan._interpreter_command()
    monkeypatch.delattr(sys, "orig_argv", raising=False)
    assert mxgan._interpreter_command() == expected and expected[0].endswith(
        Path(sys.executable).name)
