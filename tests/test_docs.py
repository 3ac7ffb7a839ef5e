"""The docs cannot rot: their figures are made from runs, their links, line anchors and names
resolve, the code they quote is the package's, and their commands parse with the programs' own
argument parsers. (tests/test_render.py checks their tables against the records,
tests/test_tutorials.py runs the pages' code.)"""
import functools
import importlib
import importlib.util
import re
import shlex
import sys
from pathlib import Path

from benchmarks import records

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
IMG = DOCS / "img"
PAGES = {"dcgan": DOCS / "dcgan.md", "cgan": DOCS / "cgan.md"}  # model -> its page
ALL_PAGES = [ROOT / "README.md"] + sorted(DOCS.rglob("*.md"))
MAX_IMG_BYTES = 3 * 1024 * 1024
MAX_README_FIGURE_BYTES = 300 * 1024  # trained digits, mostly black, compress well
# Plots of the benchmarks' records in docs/img/, drawn by make figures beside make_figures'
# pictures: python benchmarks/time_to_quality.py --plot ..., python benchmarks/sampling_curve.py
PLOTS = {"time-to-quality.png", "sampling-tradeoff.png"}
# What the pages' shell blocks may run: the tutorials run python and make only; python and make
# commands are parsed by their own parsers.
SHELL_PROGRAMS = ("python", "make", "pip", "export", ".venv/bin/tensorboard")
DCGAN_PY = ROOT / "mxgan" / "training" / "dcgan.py"
TUTORIAL_TABLES = ["dcgan.scores", "dcgan.scorer", "dcgan.training", "cgan.scores",
                   "cgan.scorer", "cgan.training", "cgan.per-digit"]
TRAINER_PY = ROOT / "mxgan" / "training" / "trainer.py"


@functools.lru_cache(maxsize=None)
def load_file(path):
    """A Python file outside the package (example, docs script, test module) as a module, with
    its folder on the import path as ``python FILE`` has it (docs/make_figures.py imports
    docs/figures/)."""
    path = Path(path).resolve()
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    name = "docs_check_" + "_".join(path.relative_to(ROOT).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_figures = load_file(DOCS / "make_figures.py")
make_notebooks = load_file(DOCS / "make_notebooks.py")
render = load_file(DOCS / "render.py")
EXAMPLES = {model: load_file(ROOT / "examples" / ("%s_mnist.py" % model)) for model in PAGES}
_page_ids = [str(page.relative_to(ROOT)) for page in ALL_PAGES]


# ---- reading the Markdown ----------------------------------------------------------------------

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def prose(page):
    """A page's text without its fenced code blocks."""
    return _FENCE.sub("", page.read_text())


def links(page):
    """(is_image, text, target) of every Markdown link in a page's prose."""
    return [(bang == "!", text, target) for bang, text, target in _LINK.findall(prose(page))]


def code_blocks(page, language):
    """The contents of a page's fenced code blocks in ``language``."""
    return re.findall(r"^```%s\n(.*?)^```" % language, page.read_text(), re.S | re.M)


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown_file):
    """The anchors of a Markdown file's headings."""
    lines = _FENCE.sub("", markdown_file.read_text()).splitlines()
    return {slug(line.lstrip("#")) for line in lines if re.match(r"^#{1,6} ", line)}


def attributed_names(page):
    """(source file, dotted name) for links such as
    [`ModuleGAN.fixed_noise_grid`](../mxgan/training/dcgan.py#L150)."""
    pairs = []
    for is_image, text, target in links(page):
        name = re.sub(r"\(\)$", "", text.strip("`"))
        path = target.partition("#")[0]
        if not is_image and path.endswith(".py") and _IDENTIFIER.match(name) \
                and not name.endswith(".py"):
            pairs.append(((page.parent / path).resolve(), name))
    return pairs


def module_of(path):
    """The module a source file defines: imported by its dotted name inside a package (mxgan's
    modules, docs/figures/), else loaded from the file."""
    path = Path(path).resolve()
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return load_file(path)
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return importlib.import_module(".".join(parts))


def missing_names(pairs):
    """The (file, name) pairs whose name is not an attribute of the file's module."""
    missing = []
    for path, name in pairs:
        try:
            functools.reduce(getattr, name.split("."), module_of(path))
        except AttributeError:
            missing.append("%s in %s" % (name, path.relative_to(ROOT)))
    return missing


# ---- (a) the figures are made from real runs ---------------------------------------------------

@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory):
    """Tiny runs of both examples (4 steps, --dry-run), as a reader would make them."""
    runs = {}
    for model, example in EXAMPLES.items():
        runs[model] = tmp_path_factory.mktemp(model)
        assert example.main(["--dry-run", "--out", str(runs[model])]) == 0
    return runs


@pytest.fixture(scope="module")
def figures(dry_runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("img")
    make_figures.main(["--dcgan", str(dry_runs["dcgan"]), "--cgan", str(dry_runs["cgan"]),
                       "--out", str(out), "--records", str(out / "records")])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("model", PAGES)
def test_make_figures_draws_every_figure_from_a_dry_run(figures, model):
    for name in make_figures.FIGURES[model]:
        with Image.open(figures / model / name) as image:
            assert image.format == name.rsplit(".", 1)[1].upper() and min(image.size) > 50, name


@pytest.mark.slow
def test_make_figures_draws_the_readmes_picture_of_both_generators(figures):
    with Image.open(figures / make_figures.README_FIGURE) as image:
        assert image.format == "PNG" and image.mode == "L"
        assert image.size[0] > image.size[1] > 600  # 2 px per pixel: 10 rows of 28 px digits


def test_make_figures_records_each_run_and_the_pages_tables_render_from_them(figures, dry_runs,
                                                                            tmp_path):
    (tmp_path / "records").symlink_to(figures / "records")
    (tmp_path / "README.md").write_text("".join(
        "<!-- table %s -->\n<!-- /table -->\n" % name for name in TUTORIAL_TABLES))
    assert render.run(tmp_path) == ["rendered README.md"]
    page = (tmp_path / "README.md").read_text()
    assert "not measured" not in page and "records/tutorial-cgan.jsonl" in page
    (record,) = records.read(figures / "records" / "tutorial-dcgan.jsonl")
    assert record["steps"] == 4 and record["run"] == str(dry_runs["dcgan"])
    assert record["provenance"]["command"].startswith("python docs/make_figures.py --dcgan ")
    assert render.run(tmp_path, check=True) == []


def test_a_missing_run_directory_is_one_error_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        make_figures.main(["--dcgan", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no run directory") and err.count("\n") == 1


@pytest.mark.slow
def test_a_run_of_the_other_model_is_refused(dry_runs, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        make_figures.main(["--dcgan", str(dry_runs["cgan"]), "--cgan", str(dry_runs["cgan"]),
                           "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "holds a CGAN run, not a DCGAN one: open it with python examples/cgan_mnist.py" \
        in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # checked before anything is drawn


# ---- (b) the pages show exactly those figures, and they are committed --------------------------

@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_every_embedded_image_is_committed_and_made_by_make_figures(page):
    drawn = {Path(model, name) for model, names in make_figures.FIGURES.items()
             for name in names} | {Path(name) for name in PLOTS} \
        | {Path(make_figures.README_FIGURE)}
    for target in (target for is_image, _, target in links(page) if is_image):
        path = (page.parent / target).resolve()
        assert path.is_relative_to(IMG) and path.relative_to(IMG) in drawn, target
        assert path.is_file(), target


@pytest.mark.parametrize("model", PAGES)
def test_a_models_page_shows_all_its_figures_and_docs_img_holds_nothing_else(model):
    shown = {Path(target).name for is_image, _, target in links(PAGES[model])
             if is_image and Path(target).parts[1] == model}
    assert shown == set(make_figures.FIGURES[model])
    committed = {p.name for p in (IMG / model).iterdir()}
    assert committed == set(make_figures.FIGURES[model])
    assert {p.name for p in IMG.iterdir()} <= set(make_figures.FIGURES) | PLOTS \
        | {make_figures.README_FIGURE}


def test_docs_img_stays_small():
    assert sum(p.stat().st_size for p in IMG.rglob("*") if p.is_file()) < MAX_IMG_BYTES
    readme_figure = IMG / make_figures.README_FIGURE
    assert not readme_figure.exists() or readme_figure.stat().st_size < MAX_README_FIGURE_BYTES


# ---- (c) links, names, tables and commands -----------------------------------------------------

@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_relative_links_and_their_anchors_resolve(page):
    for _, _, target in links(page):
        if re.match(r"^[a-z]+:", target):
            continue  # an absolute URL
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), target
        if anchor and resolved.suffix == ".py":
            assert re.match(r"^L\d+$", anchor), target
            assert int(anchor[1:]) <= len(resolved.read_text().splitlines()), target
        elif anchor:
            assert anchor in anchors(resolved), target


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_every_name_a_page_attributes_to_a_module_exists_there(page):
    assert missing_names(attributed_names(page)) == []


@pytest.mark.parametrize("model", PAGES)
def test_the_parsers_find_the_names_and_commands_of_a_models_page(model):
    assert len(attributed_names(PAGES[model])) > 20
    assert len([line for block in code_blocks(PAGES[model], "sh") for line in block.splitlines()
                if line.startswith("python ")]) >= 5


def test_the_name_check_catches_a_renamed_function():
    pairs = [(DCGAN_PY, "ModuleGAN.fixed_noise_grid"), (DCGAN_PY, "ModuleGAN.fixed_noise_grids"),
             (DOCS / "make_figures.py", "no_such_function")]
    assert missing_names(pairs) == ["ModuleGAN.fixed_noise_grids in mxgan/training/dcgan.py",
                                    "no_such_function in docs/make_figures.py"]


def misplaced_anchors(page):
    """Links to a named definition whose #L anchor is missing or not the definition's line."""
    wrong = []
    for match, path, name, line in make_notebooks.source_links(page.read_text(), page.parent):
        actual = make_notebooks.definition_lines(path).get(name)
        if line is None or line != actual:
            wrong.append("%s: #L%s, defined at %s" % (match.group(0), line, actual))
    return wrong


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_every_link_to_a_definition_points_at_its_line(page):
    assert misplaced_anchors(page) == [], "run python docs/make_notebooks.py"


def test_the_anchor_check_catches_a_moved_definition(tmp_path):
    line = make_notebooks.definition_lines(DCGAN_PY)["ModuleGAN.fixed_noise_grid"]
    page = tmp_path / "page.md"
    link = "[`ModuleGAN.fixed_noise_grid`](%s#L%d)"
    page.write_text("%s %s [`zero`](%s)\n" % (link % (DCGAN_PY, line), link % (DCGAN_PY, line + 1),
                                              TRAINER_PY))
    assert [entry.split(":")[0] for entry in misplaced_anchors(page)] == [
        "[`ModuleGAN.fixed_noise_grid`](%s#L%d)" % (DCGAN_PY, line + 1),
        "[`zero`](%s)" % TRAINER_PY]
    assert make_notebooks.definition_lines(ROOT / "examples" / "dcgan_mnist.py")["PROFILES"] \
        == next(n for n, text in enumerate((ROOT / "examples" / "dcgan_mnist.py").read_text()
                                           .splitlines(), 1) if text.startswith("PROFILES ="))


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_quoted_code_is_still_in_the_file_it_names(page):
    """```py blocks quote the package: the first line names the file, the others are in it.
    (```python blocks are the tutorial's own code, run by tests/test_tutorials.py.)"""
    blocks = code_blocks(page, "py")
    assert page.name not in ("dcgan.md", "cgan.md") or blocks
    for block in blocks:
        first, *lines = block.splitlines()
        named = re.match(r"^# (\S+\.py)\b", first)
        assert named, "a quote's first line names its file: %r" % first
        source = {line.strip() for line in (ROOT / named.group(1)).read_text().splitlines()}
        assert [line for line in lines if line.strip() and line.strip() not in source] == []


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_the_tutorials_are_named_by_what_they_are(page):
    text = render.BLOCK.sub("", page.read_text())  # what a person wrote, not what records render
    if page in PAGES.values():  # elsewhere "seed 0" is a random seed
        assert not re.search(r"\bseeds? \d|\bthe seeds?\b", text, re.I), \
            "name a tutorial by what it is, e.g. MXNet's DCGAN tutorial"
    assert "../shared/" not in text


def make_targets():
    """The targets the Makefile defines."""
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def _parser_for(argv):
    """The argument parser of ``python PROGRAM ...`` or ``python -m MODULE ...`` (None for a
    program that takes no arguments), and its args; None for Python's own modules."""
    if argv[0] == "-m" and not argv[1].startswith("mxgan"):
        return None  # python -m venv, pip, pytest: not the project's to parse
    program = importlib.import_module(argv[1]) if argv[0] == "-m" else load_file(ROOT / argv[0])
    args = argv[2:] if argv[0] == "-m" else argv[1:]
    if hasattr(program, "build_parser"):
        return program.build_parser().parse_args, args
    return getattr(program, "parse_args", None), args


def shell_commands(page):
    """The argv of every command in a page's ```sh blocks, without the variables set before it
    (``DMLC_ROLE=worker python ...``), a trailing ``&``, or the venv's path to python."""
    commands = []
    for block in code_blocks(page, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            while argv and re.match(r"^[A-Z_][A-Z0-9_]*=", argv[0]):
                argv = argv[1:]
            if argv and argv[-1] == "&":
                argv = argv[:-1]
            if argv:
                commands.append(["python" if argv[0] == ".venv/bin/python" else argv[0]]
                                + argv[1:])
    return commands


@pytest.mark.parametrize("page", ALL_PAGES, ids=_page_ids)
def test_every_command_shown_parses_with_its_programs_own_parser(page):
    commands = shell_commands(page)
    programs = ("python", "make") if page in PAGES.values() else SHELL_PROGRAMS
    assert [argv for argv in commands if argv[0] not in programs] == [], \
        "only %s" % ", ".join(programs)
    for argv in (argv for argv in commands if argv[0] in ("python", "make")):
        if argv[0] == "make":
            assert set(argv[1:]) <= make_targets(), "no such make target: %s" % " ".join(argv)
            continue
        found = _parser_for(argv[1:])
        if found is None:
            continue
        parse, args = found
        if parse is None:
            assert args == [], "takes no arguments: %s" % " ".join(argv)
            continue
        try:
            parse(args)
        except SystemExit:
            pytest.fail("does not parse: %s" % " ".join(argv))
