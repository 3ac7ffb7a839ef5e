#!/usr/bin/env python
"""Keep the tutorial pages and their notebooks in step: source anchors and notebooks.

    python docs/make_notebooks.py            # update docs/*.md, then write docs/*.ipynb
    python docs/make_notebooks.py --execute  # ... and run each notebook, keeping its outputs
    python docs/make_notebooks.py --check    # change nothing; exit 1 if anything is stale

A page that links to a definition or file that no longer exists is one ``error: ...`` line and
exit code 2.

For each page of `PAGES` it

1. points every link to a named definition, such as
   ``[`ModuleGAN.monitor`](../mxgan/training/dcgan.py#L83)``, at the line that defines it now;
2. writes ``MODEL.ipynb`` from the page: each ```python block becomes a code cell, everything
   between them a Markdown cell, so the notebook runs the page's code top to bottom. Quotes of
   the package's code are ```py blocks and stay Markdown. With ``--execute`` every notebook is
   run top to bottom at the page's settings (minutes each) and written with its outputs, as the
   documentation site shows it; otherwise a notebook whose cells are the page's keeps the
   outputs it has.

The pages' tables are rendered from records by docs/render.py. tests/test_tutorials.py checks
that the committed notebooks are the pages', and tests/test_docs.py that the anchors are
current.
"""
import argparse
import ast
import copy
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
PAGES = {"dcgan": DOCS / "dcgan.md", "cgan": DOCS / "cgan.md"}  # model -> its page
EXECUTE_TIMEOUT_S = 3600  # per cell: the training cell runs the page's full settings

_CODE = re.compile(r"^```python\n(.*?)^```\n?", re.S | re.M)
_SOURCE_LINK = re.compile(r"\[`(?P<name>[A-Za-z_][\w.]*)(?:\(\))?`\]"
                          r"\((?P<path>[^)#\s]+\.py)(?:#L(?P<line>\d+))?\)")


# ---- 1. anchors of links into the source -------------------------------------------------------

def definition_lines(path):
    """{dotted name: line} of the functions, classes and assigned names a Python file defines at
    module level and in its classes (``ModuleGAN.monitor``, ``PROFILES``)."""
    tree = ast.parse(Path(path).read_text())
    lines = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                lines.setdefault(prefix + node.name, node.lineno)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        lines.setdefault(prefix + target.id, node.lineno)
    visit(tree.body, "")
    return lines


def source_links(text, page_dir=DOCS):
    """(match, resolved file, name, anchored line or None) of every link from a page to a named
    definition in a Python file."""
    found = []
    for match in _SOURCE_LINK.finditer(text):
        line = match.group("line")
        found.append((match, (page_dir / match.group("path")).resolve(), match.group("name"),
                      int(line) if line else None))
    return found


class StaleLink(Exception):
    """A page links to a definition, or a file, that is no longer there."""


def relink(text, page_dir=DOCS):
    """The page ``text`` with every source link anchored at its definition's current line; a
    `StaleLink` names a file or definition that no longer exists."""
    cache = {}
    pieces, end = [], 0
    for match, path, name, _ in source_links(text, page_dir):
        where = path.relative_to(DOCS.parent) if path.is_relative_to(DOCS.parent) else path
        if not path.is_file():
            raise StaleLink("%s links to %s, which no longer exists" % (match.group(0), where))
        if path not in cache:
            cache[path] = definition_lines(path)
        if name not in cache[path]:
            raise StaleLink("%s no longer defines %s" % (where, name))
        pieces += [text[end:match.start()], "[`%s`](%s#L%d)" % (
            match.group(0)[2:match.group(0).index("`", 2)], match.group("path"),
            cache[path][name])]
        end = match.end()
    return "".join(pieces) + text[end:]


# ---- 2. notebooks ------------------------------------------------------------------------------

def split_page(text):
    """The page as [(kind, source)]: "code" for each ```python block, "markdown" between."""
    cells, end = [], 0
    for match in _CODE.finditer(text):
        cells += [("markdown", text[end:match.start()]), ("code", match.group(1))]
        end = match.end()
    cells.append(("markdown", text[end:]))
    return [(kind, source.strip("\n")) for kind, source in cells if source.strip()]


def notebook(model, text):
    """The notebook of a page: a note on where it comes from, then the page as cells."""
    note = ("*This notebook is [%s.md](%s.md) made runnable by `docs/make_notebooks.py`: edit the "
            "page, not the notebook. Run it with the project's environment as its kernel (see "
            "the quick start); the code cells are the page's Python blocks, in order.*"
            % (model, model))
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    made = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    for index, (kind, source) in enumerate([("markdown", note)] + split_page(text)):
        cell = made[kind](source)
        cell.id = "%s-%02d" % (model, index)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(model, text):
    """The notebook file's text for a page, without outputs."""
    return nbformat.writes(notebook(model, text)) + "\n"


def without_outputs(notebook_text):
    """A notebook file's text with every code cell's outputs and execution count removed: what
    `render` writes of the same page."""
    stripped = nbformat.reads(notebook_text, as_version=4)
    for cell in stripped.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(stripped) + "\n"


def executed(notebook_text):
    """The notebook run top to bottom in a fresh kernel in a scratch folder, with its outputs."""
    from nbclient import NotebookClient
    notebook = nbformat.reads(notebook_text, as_version=4)
    metadata = copy.deepcopy(notebook.metadata)  # the kernel adds its own; keep the page's
    with tempfile.TemporaryDirectory() as work:
        client = NotebookClient(notebook, timeout=EXECUTE_TIMEOUT_S, kernel_name="python3",
                                record_timing=False, resources={"metadata": {"path": work}})
        client.execute(env=dict(os.environ), cwd=work)
    notebook.metadata = metadata
    return nbformat.writes(notebook) + "\n"


# ---- command line ------------------------------------------------------------------------------

def updated_page(page):
    """A page's text with its anchors brought up to date."""
    return relink(page.read_text(), page.parent)


def notebook_text(model, text, path, execute):
    """What ``path`` should hold for a page: the page's notebook, run when ``execute``;
    otherwise the notebook already there where it is the page's (its outputs kept)."""
    fresh = render(model, text)
    if execute:
        return executed(fresh)
    return path.read_text() if _is_run_of(path, fresh) else fresh


def _is_run_of(path, fresh):
    """Whether the notebook at ``path`` is the notebook ``fresh``, run or not."""
    try:
        return without_outputs(path.read_text()) == fresh
    except (OSError, nbformat.reader.NotJSONError, nbformat.ValidationError):
        return False


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python docs/make_notebooks.py",
                                     description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if a page or notebook is out of date")
    mode.add_argument("--execute", action="store_true",
                      help="run every notebook and write it with its outputs (minutes each)")
    return parser.parse_args(argv)


def main(argv=None):
    """Update the pages and write the notebooks (or, with --check, only report); exit code."""
    args = parse_args(argv)
    stale = []
    for model, page in PAGES.items():
        try:
            text = updated_page(page)
        except StaleLink as err:
            print("error: %s: %s" % (page.name, err), file=sys.stderr)
            return 2
        notebook_path = page.with_suffix(".ipynb")
        outputs = {page: text,
                   notebook_path: notebook_text(model, text, notebook_path, args.execute)}
        for path, content in outputs.items():
            if not path.exists() or path.read_text() != content:
                stale.append(path)
                if not args.check:
                    path.write_text(content)
    for path in stale:
        print("%s %s" % ("stale:" if args.check else "wrote", path.relative_to(DOCS.parent)))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
