"""The registry of names that docs/render.py fills in the pages: each name is a function from
records to Markdown and names the record files it reads, with the command that writes each one."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REGISTRY = {}  # name -> Entry
NOT_MEASURED = "(not measured yet: run "


class NotMeasured(Exception):
    """A record file exists but holds no record of what a name shows."""


class Entry:
    """A registered name: ``kind`` "table" or "value", ``files`` {repository path: the command
    that writes it, or None for a file of history that no command writes}, ``render`` the
    function from {path: [record]} to Markdown."""

    def __init__(self, name, kind, files, render):
        self.name, self.kind, self.files, self.render = name, kind, dict(files), render

    def missing(self, root=ROOT):
        """The record files that do not exist under ``root``."""
        return [path for path in self.files if not (Path(root) / path).is_file()]

    def placeholder(self, paths=None):
        """What the page shows until ``paths`` (default: every file) are measured."""
        commands = [self.files[path] for path in (paths or self.files)]
        return NOT_MEASURED + " and ".join("`%s`" % c for c in commands) + ")"

    def measurable(self, paths):
        """Whether every one of ``paths`` has a command that writes it."""
        return all(self.files[path] for path in paths)


def register(kind, name, files):
    """A decorator registering ``render`` under ``name``."""
    def decorate(render):
        if name in REGISTRY:
            raise ValueError("%s is registered twice" % name)
        REGISTRY[name] = Entry(name, kind, files, render)
        return render
    return decorate


def table(name, files):
    """Register a function that renders a Markdown table (and the line naming its source)."""
    return register("table", name, files)


def value(name, files):
    """Register a function that renders a short figure for a sentence, such as ``7.7 min``."""
    return register("value", name, files)


def load(path):
    """The records of a file: a JSON-lines file's lines, oldest first, or a JSON document as one
    record (the files of history)."""
    text = Path(path).read_text()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def render(name, root=ROOT):
    """The Markdown of a registered name from the records under ``root``; the placeholder where
    a file is missing or holds nothing to show. A FileNotFoundError for a missing file of
    history."""
    entry = REGISTRY[name]
    missing = entry.missing(root)
    if missing and not entry.measurable(missing):
        raise FileNotFoundError("%s does not exist" % ", ".join(missing))
    if missing:
        return entry.placeholder(missing)
    try:
        return entry.render({path: load(Path(root) / path) for path in entry.files})
    except NotMeasured:
        return entry.placeholder()
