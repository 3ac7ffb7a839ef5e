"""The tutorials run: each page's ```python blocks, copied in order into a fresh interpreter at
tiny settings, train a GAN with the plain Symbol API, their Symbols are mxgan's tutorial graph
and have the shapes their comments say; the notebooks are the pages' and run top to bottom."""
import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = {"dcgan": DOCS / "dcgan.md", "cgan": DOCS / "cgan.md"}
# The page's settings a test shrinks: a few steps of small batches of the real digits.
TINY = {"STEPS": 6, "BATCH": 8, "N_IMAGES": 64, "SHOW_EVERY": 3}
PICTURES = {"dcgan": ("fake_vs_real.png", "training.png"),
            "cgan": ("per_digit.png", "training.png")}
TIMEOUT_S = 180
B = 5  # the batch the shape comments are checked at
INPUTS = {  # (generator, discriminator) input shapes for a batch of B
    "dcgan": ({"rand": (B, 100, 1, 1)}, {"data": (B, 1, 28, 28), "label": (B,)}),
    "cgan": ({"rand": (B, 96, 1, 1), "cond": (B, 10, 1, 1)},
             {"data": (B, 1, 28, 28), "cond": (B, 10, 1, 1), "label": (B,)}),
}
# mxgan's --graph tutorial networks with the pages' settings; the one expected difference: the
# DCGAN page's G has a plain 1-filter last layer, mxgan's the 2-filter oneDNN workaround.
MXGAN_NETWORK = {"dcgan": ("dcgan28", dict(channels=1, nz=100, ngf=28, ndf=28)),
                 "cgan": ("cgan28", dict(condition="onehot", nz=96))}
PLAIN_LAST_LAYER = {"dcgan": {"g_deconv4_weight": [[28, 1, 4, 4], [28, 2, 4, 4]]}, "cgan": {}}


def _load(path):
    spec = importlib.util.spec_from_file_location("tutorials_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_notebooks = _load(DOCS / "make_notebooks.py")


# ---- the pages' code ---------------------------------------------------------------------------

def python_blocks(page):
    """The tutorial code of a page: its ```python blocks, in order."""
    return [source for kind, source in make_notebooks.split_page(page.read_text())
            if kind == "code"]


def tiny(source, settings=TINY):
    """``source`` with each ``NAME = ...`` line of ``settings`` set to the tiny value, and how
    often each name was set."""
    counts = {}
    for name, value in settings.items():
        source, counts[name] = re.subn(r"^%s = .*$" % name,
                                       "%s = %r  # tiny, set by tests/test_tutorials.py"
                                       % (name, value), source, flags=re.M)
    return source, counts


def shape_comments(blocks):
    """{layer or input name: shape with "B"} from comments such as ``# (B, 112, 4, 4)`` on lines
    that name a layer (``name="g_deconv1"``) or declare a Variable (``Variable("rand")``)."""
    shapes = {}
    for block in blocks:
        for line in block.splitlines():
            comment = re.search(r"#\s*(\(B[\d, ]*\))", line)
            if not comment:
                continue
            named = re.findall(r'name="(\w+)"|Variable\("(\w+)"\)', line)
            assert len(named) == 1, "a shape comment needs one layer on its line: %r" % line
            layer, variable = named[0]
            key = variable or layer + "_output"
            shapes[key] = list(ast.literal_eval(comment.group(1).replace("B", str(B))))
    return shapes


# Appended to the page's code (@INPUTS@ and @NETWORK@ filled in): what the tests check,
# printed as one JSON line.
CHECKS = '''
import json as _json
import numpy as _np
from mxgan.nets import symbols as _symbols


def _shapes(symbol, inputs):
    internals = symbol.get_internals()
    _, outs, _ = internals.infer_shape(**inputs)
    return {name: list(shape) for name, shape in zip(internals.list_outputs(), outs)}


def _params(symbol, inputs):
    args, _, aux = symbol.infer_shape(**inputs)
    named = dict(zip(symbol.list_arguments(), map(list, args)))
    return {n: s for n, s in named.items() if n not in inputs}, \\
        dict(zip(symbol.list_auxiliary_states(), map(list, aux)))


def _run(symbol, inputs, args, aux):
    executor = symbol.bind(mx.cpu(), args=dict(inputs, **args), aux_states=aux, grad_req="null")
    executor.forward(is_train=True)
    return executor.outputs[0].asnumpy()


_gen_inputs, _disc_inputs = @INPUTS@
_name, _options = @NETWORK@
_theirs = dict(zip(("generator", "discriminator"),
                   _symbols.get_network(_name, graph="tutorial", **_options)))
_ours = {"generator": generator_symbol, "discriminator": discriminator_symbol}
_report = {"history": [[float(v) for v in row] for row in history],
           "shapes": dict(_shapes(generator_symbol, _gen_inputs),
                          **_shapes(discriminator_symbol, _disc_inputs)),
           "parameters": {}, "difference": {}}
_rng = _np.random.RandomState(0)
for _net, _inputs in (("generator", _gen_inputs), ("discriminator", _disc_inputs)):
    (_ours_args, _ours_aux), (_their_args, _their_aux) = (
        _params(_ours[_net], _inputs), _params(_theirs[_net], _inputs))
    _report["parameters"][_net] = {n: [_ours_args.get(n), _their_args.get(n)]
                                   for n in set(_ours_args) | set(_their_args)
                                   if _ours_args.get(n) != _their_args.get(n)}
    _report["parameters"][_net + " statistics"] = _ours_aux == _their_aux
    _values = {n: mx.nd.array(_rng.normal(0, 0.1, s)) for n, s in _their_args.items()}
    _stats = {n: mx.nd.array(_rng.uniform(0.5, 1.5, s)) for n, s in _their_aux.items()}
    _feed = {n: mx.nd.array(_rng.uniform(-1, 1, s)) for n, s in _inputs.items()}
    if "cond" in _feed:
        _feed["cond"] = mx.nd.one_hot(mx.nd.array(_np.arange(_inputs["cond"][0]) % 10), 10) \\
            .reshape(_inputs["cond"])
    # our parameters from theirs: the same array, or filter 0 of the 2-filter workaround
    _mine = {}
    for _n, _v in _values.items():
        if _ours_args.get(_n) == list(_v.shape):
            _mine[_n] = _v
        elif _ours_args.get(_n) == [_v.shape[0], 1] + list(_v.shape[2:]):
            _mine[_n] = _v[:, :1]
    if set(_mine) != set(_ours_args) or _ours_aux != _their_aux:
        _report["difference"][_net] = None  # not comparable: the parameters above differ
    else:
        _report["difference"][_net] = float(_np.abs(
            _run(_ours[_net], _feed, _mine, _stats) - _run(_theirs[_net], _feed, _values, _stats)
        ).max())
print("TUTORIAL-CHECKS " + _json.dumps(_report))
'''


def run_page(model, tmp_path):
    """Run a page's code at tiny settings in a fresh interpreter in ``tmp_path``; returns
    (completed process, the CHECKS report)."""
    blocks = python_blocks(PAGES[model])
    source, counts = tiny("\n\n".join(blocks))
    assert counts == {name: 1 for name in TINY}, "each tiny setting is set once: %s" % counts
    network = MXGAN_NETWORK[model]
    script = tmp_path / ("%s_tutorial.py" % model)
    checks = CHECKS.replace("@INPUTS@", repr(INPUTS[model])).replace("@NETWORK@", repr(network))
    script.write_text(source + checks)
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", MXGAN_OFFLINE="1")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("TUTORIAL-CHECKS "))
    return done, json.loads(line.split(" ", 1)[1])


@pytest.fixture(scope="module", params=sorted(PAGES))
def page_run(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(request.param)
    done, report = run_page(request.param, tmp_path)
    return request.param, tmp_path, done, report


@pytest.mark.slow
def test_the_pages_code_trains_a_gan(page_run):
    model, tmp_path, done, report = page_run
    history = report["history"]
    assert len(history) == TINY["STEPS"] and all(len(row) == 4 for row in history)
    assert all(math.isfinite(value) for row in history for value in row)
    assert all(0 <= row[2] <= 1 and 0 <= row[3] <= 1 for row in history)  # D's outputs
    printed = [line for line in done.stdout.splitlines() if line.startswith("step ")]
    assert len(printed) == TINY["STEPS"] // TINY["SHOW_EVERY"]
    for name in PICTURES[model]:
        with Image.open(tmp_path / "runs" / ("tutorial-%s" % model) / name) as picture:
            assert picture.format == "PNG" and min(picture.size) > 100, name


@pytest.mark.slow
def test_the_pages_checkpoint_loads_back_with_module_load(page_run):
    model, tmp_path, done, _ = page_run
    out = tmp_path / "runs" / ("tutorial-%s" % model)
    assert (out / "generator-symbol.json").is_file()
    assert (out / ("generator-%04d.params" % TINY["STEPS"])).is_file()
    difference = re.search(r"largest difference from the samples above: (\S+)", done.stdout)
    assert difference and float(difference.group(1)) < 1e-5


@pytest.mark.slow
def test_the_shape_comments_are_what_infer_shape_gives(page_run):
    model, _, _, report = page_run
    commented = shape_comments(python_blocks(PAGES[model]))
    assert len(commented) >= 12
    assert {name: report["shapes"].get(name) for name in commented} == commented


@pytest.mark.slow
def test_the_pages_symbols_are_mxgans_tutorial_graph(page_run):
    model, _, _, report = page_run
    assert report["parameters"]["generator"] == PLAIN_LAST_LAYER[model]
    assert report["parameters"]["discriminator"] == {}
    assert report["parameters"]["generator statistics"]
    assert report["parameters"]["discriminator statistics"]
    # Same parameters (the DCGAN's last layer: filter 0 of mxgan's two), same outputs.
    assert report["difference"]["generator"] is not None
    assert report["difference"]["generator"] < 1e-5
    assert report["difference"]["discriminator"] is not None
    assert report["difference"]["discriminator"] < 1e-5


def test_tiny_settings_fail_loudly_when_a_page_renames_one():
    _, counts = tiny("STEPS = 1000\nBATCHES = 64\n")
    assert counts == {"STEPS": 1, "BATCH": 0, "N_IMAGES": 0, "SHOW_EVERY": 0}
    with pytest.raises(AssertionError, match="a shape comment needs one layer on its line"):
        shape_comments(['x = y  # (B, 1)'])


# ---- the notebooks -----------------------------------------------------------------------------

@pytest.mark.parametrize("model", sorted(PAGES))
def test_the_committed_notebook_is_the_page_with_or_without_its_outputs(model):
    committed = make_notebooks.without_outputs((DOCS / ("%s.ipynb" % model)).read_text())
    assert committed == make_notebooks.render(model, PAGES[model].read_text()), \
        "run python docs/make_notebooks.py"
    notebook = nbformat.reads(committed, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == python_blocks(PAGES[model])


def test_a_link_to_a_definition_that_is_gone_is_one_error_line(tmp_path, monkeypatch, capsys):
    page = tmp_path / "dcgan.md"
    page.write_text("[`gone`](%s) and [`also_gone`](%s)\n"
                    % (ROOT / "mxgan" / "nets" / "symbols.py", tmp_path / "moved.py"))
    monkeypatch.setattr(make_notebooks, "PAGES", {"dcgan": page})
    assert make_notebooks.main(["--check"]) == 2
    assert capsys.readouterr().err == "error: dcgan.md: mxgan/nets/symbols.py no longer defines " \
        "gone\n"
    page.write_text(page.read_text().split(" and ")[1])
    assert make_notebooks.main([]) == 2
    assert "which no longer exists" in capsys.readouterr().err
    assert not (tmp_path / "dcgan.ipynb").exists()


def test_an_executed_notebook_keeps_its_outputs_until_its_page_changes(tmp_path, monkeypatch):
    page = tmp_path / "dcgan.md"
    page.write_text("# A page\n\n```python\nprint(6 * 7)\n```\n")
    monkeypatch.setattr(make_notebooks, "PAGES", {"dcgan": page})
    monkeypatch.setattr(make_notebooks, "DOCS", tmp_path)
    assert make_notebooks.main(["--execute"]) == 0
    ran = nbformat.read(tmp_path / "dcgan.ipynb", as_version=4)
    assert [output["text"] for output in ran.cells[-1].outputs] == ["42\n"]
    assert make_notebooks.main(["--check"]) == 0 and make_notebooks.main([]) == 0
    assert nbformat.read(tmp_path / "dcgan.ipynb", as_version=4) == ran
    page.write_text(page.read_text().replace("6 * 7", "6 * 9"))
    assert make_notebooks.main(["--check"]) == 1 and make_notebooks.main([]) == 0
    assert nbformat.read(tmp_path / "dcgan.ipynb", as_version=4).cells[-1].outputs == []


def test_make_notebooks_check_reports_a_stale_notebook(tmp_path, monkeypatch, capsys):
    for model, page in PAGES.items():
        (tmp_path / page.name).write_text(page.read_text())
        (tmp_path / ("%s.ipynb" % model)).write_text("{}")
    monkeypatch.setattr(make_notebooks, "DOCS", tmp_path)
    monkeypatch.setattr(make_notebooks, "PAGES", {m: tmp_path / p.name for m, p in PAGES.items()})
    monkeypatch.setattr(make_notebooks, "relink", lambda text, page_dir=None: text)
    assert make_notebooks.main(["--check"]) == 1
    assert (tmp_path / "dcgan.ipynb").read_text() == "{}"  # --check writes nothing
    assert make_notebooks.main([]) == 0 and make_notebooks.main(["--check"]) == 0
    capsys.readouterr()


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(PAGES))
def test_the_notebook_runs_top_to_bottom(model, tmp_path):
    notebook = nbformat.read(DOCS / ("%s.ipynb" % model), as_version=4)
    counts = {name: 0 for name in TINY}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source, found = tiny(cell.source)
            counts = {name: counts[name] + found[name] for name in TINY}
    assert counts == {name: 1 for name in TINY}
    kernel_env = dict(os.environ, OMP_NUM_THREADS="1", MXGAN_OFFLINE="1")
    client = NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=kernel_env, cwd=str(tmp_path))
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
    text = "".join(output.get("text", "") for output in outputs)
    assert "step     6" in text and "largest difference from the samples above" in text
