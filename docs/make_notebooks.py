#!/usr/bin/env python
"""Keep the tutorial pages and their notebooks in step: tables, source anchors, notebooks.

    python docs/make_notebooks.py            # update docs/*.md, then write docs/*.ipynb
    python docs/make_notebooks.py --check    # change nothing; exit 1 if anything is stale

For each page of `PAGES` it

1. copies every table marked ``<!-- tables.md: SECTION -->`` from ``img/MODEL/tables.md``, which
   docs/make_figures.py writes from the runs (run that first when the runs change);
2. points every link to a named definition, such as
   ``[`ModuleGAN.monitor`](../mxgan/training/dcgan.py#L83)``, at the line that defines it now;
3. writes ``MODEL.ipynb`` from the page: each ```python block becomes a code cell, everything
   between them a Markdown cell, without outputs, so the notebook runs the page's code top to
   bottom. Quotes of the package's code are ```py blocks and stay Markdown.

tests/test_tutorials.py checks that the committed notebooks are what this writes, and
tests/test_docs.py that the tables and anchors are current.
"""
import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
PAGES = {"dcgan": DOCS / "dcgan.md", "cgan": DOCS / "cgan.md"}  # model -> its page
TABLES = "tables.md"

_CODE = re.compile(r"^```python\n(.*?)^```\n?", re.S | re.M)
_TABLE_MARK = re.compile(r"^(<!-- tables\.md: (?P<section>[^>]*?) -->\n)(?P<table>(?:\|.*\n)*)",
                         re.M)
_SOURCE_LINK = re.compile(r"\[`(?P<name>[A-Za-z_][\w.]*)(?:\(\))?`\]"
                          r"\((?P<path>[^)#\s]+\.py)(?:#L(?P<line>\d+))?\)")


# ---- 1. tables from make_figures ---------------------------------------------------------------

def read_tables(path):
    """{section: table text} of a tables.md written by docs/make_figures.py."""
    sections, name = {}, None
    for line in Path(path).read_text().splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            sections[name] = []
        elif name is not None and line.startswith("|"):
            sections[name].append(line)
    return {section: "\n".join(lines) + "\n" for section, lines in sections.items()}


def fill_tables(text, tables):
    """The page ``text`` with each marked table replaced by ``tables[section]``; a KeyError
    names a marked section that tables.md lacks."""
    def replace(match):
        section = match.group("section")
        if section not in tables:
            raise KeyError("tables.md has no section %r" % section)
        return match.group(1) + tables[section]
    return _TABLE_MARK.sub(replace, text)


def marked_tables(text):
    """{section: table text} of the tables a page marks."""
    return {m.group("section"): m.group("table") for m in _TABLE_MARK.finditer(text)}


# ---- 2. anchors of links into the source -------------------------------------------------------

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


def relink(text, page_dir=DOCS):
    """The page ``text`` with every source link anchored at its definition's current line; a
    KeyError names a definition that no longer exists."""
    cache = {}
    pieces, end = [], 0
    for match, path, name, _ in source_links(text, page_dir):
        if path not in cache:
            cache[path] = definition_lines(path)
        if name not in cache[path]:
            raise KeyError("%s no longer defines %s" % (path, name))
        pieces += [text[end:match.start()], "[`%s`](%s#L%d)" % (
            match.group(0)[2:match.group(0).index("`", 2)], match.group("path"),
            cache[path][name])]
        end = match.end()
    return "".join(pieces) + text[end:]


# ---- 3. notebooks ------------------------------------------------------------------------------

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
    """The notebook file's text for a page."""
    return nbformat.writes(notebook(model, text)) + "\n"


# ---- command line ------------------------------------------------------------------------------

def updated_page(model, page):
    """A page's text with its tables and anchors brought up to date."""
    text = page.read_text()
    tables_md = page.parent / "img" / model / TABLES
    if tables_md.exists():
        text = fill_tables(text, read_tables(tables_md))
    return relink(text, page.parent)


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python docs/make_notebooks.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a page or notebook is out of date")
    return parser.parse_args(argv)


def main(argv=None):
    """Update the pages and write the notebooks (or, with --check, only report); exit code."""
    args = parse_args(argv)
    stale = []
    for model, page in PAGES.items():
        text = updated_page(model, page)
        outputs = {page: text, page.with_suffix(".ipynb"): render(model, text)}
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
