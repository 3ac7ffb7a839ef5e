#!/usr/bin/env python
"""Render every figure of README.md and docs/**/*.md from its records.

    python docs/render.py            # rewrite the marked blocks from records/
    python docs/render.py --check    # change nothing; exit 1 listing every block that differs

A page marks a table as

    <!-- table NAME -->
    (rendered here)
    <!-- /table -->

and a figure in a sentence as ``<!-- value NAME -->7.7 min<!-- /value -->``. Each NAME is a
function registered in docs/rendering/ that reads named files of records/ (see
benchmarks/records.py). Where a record file does not exist yet, the block says which command
makes it. ``--check`` lists every block that differs from what its records render, every name
that is not registered and every file of history that is missing.
"""
import argparse
import re
import sys
from pathlib import Path

from rendering import NOT_MEASURED, REGISTRY, render

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(?P<open><!-- (?P<kind>table|value) (?P<name>[\w.-]+) -->)"
                   r"(?P<body>.*?)(?P<close><!-- /(?P=kind) -->)", re.S)


def pages(root=ROOT):
    """README.md and every Markdown page under docs/."""
    root = Path(root)
    return [root / "README.md"] + sorted((root / "docs").rglob("*.md"))


def body_of(kind, rendered):
    """What goes between a block's markers: a table on lines of its own, a value inline."""
    return "\n%s\n" % rendered if kind == "table" else rendered


def render_page(text, root=ROOT):
    """The page ``text`` with every block rendered, and the problems: (line, message) for each
    unknown name, wrong kind, missing file of history or record without the fields its name
    reads; those blocks are left as they are."""
    problems, pieces, end = [], [], 0
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        kind, name = match.group("kind"), match.group("name")
        try:
            body = body_of(kind, _rendered(kind, name, root))
        except (UnknownName, FileNotFoundError) as err:
            problems.append((line, "%s %s: %s" % (kind, name, err.args[0])))
            body = match.group("body")
        except (KeyError, TypeError, ValueError) as err:  # a record without a field it reads
            problems.append((line, "%s %s: its records lack what it reads (%s: %s)"
                             % (kind, name, type(err).__name__, err)))
            body = match.group("body")
        pieces += [text[end:match.start()], match.group("open"), body, match.group("close")]
        end = match.end()
    return "".join(pieces) + text[end:], problems


class UnknownName(Exception):
    """A block names something not registered, or registered as the other kind."""


def _rendered(kind, name, root):
    """The Markdown of a registered name of the given kind."""
    if name not in REGISTRY:
        raise UnknownName("not a registered name (see docs/rendering/)")
    if REGISTRY[name].kind != kind:
        raise UnknownName("registered as a %s, not a %s" % (REGISTRY[name].kind, kind))
    return render(name, root)


def drifted(old, new):
    """(line, message) for each block of ``old`` whose body ``new`` renders differently."""
    found = []
    for before, after in zip(BLOCK.finditer(old), BLOCK.finditer(new)):
        if before.group("body") != after.group("body"):
            line = old.count("\n", 0, before.start()) + 1
            rendered = after.group("body").strip()
            why = ("its records do not exist: " + rendered
                   if rendered.startswith(NOT_MEASURED) else "differs from what its records render")
            found.append((line, "%s %s %s" % (before.group("kind"), before.group("name"), why)))
    return found


def run(root=ROOT, check=False):
    """Render (or, with ``check``, only compare) every page under ``root``; the report lines."""
    report = []
    for page in pages(root):
        if not page.is_file():
            continue
        old = page.read_text()
        new, problems = render_page(old, root)
        if check:
            problems += drifted(old, new)
        elif new != old:
            page.write_text(new)
            report.append("rendered %s" % page.relative_to(root))
        report += ["%s:%d: %s" % (page.relative_to(root), line, message)
                   for line, message in sorted(problems)]
    return report


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python docs/render.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a block differs from its records")
    return parser.parse_args(argv)


def main(argv=None):
    """Render or check; exit code 1 when a check finds drift or any block cannot render."""
    args = parse_args(argv)
    report = run(check=args.check)
    for line in report:
        print(line)
    return 1 if any(not line.startswith("rendered ") for line in report) else 0


if __name__ == "__main__":
    sys.exit(main())
