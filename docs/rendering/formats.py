"""How figures read in the pages: numbers, tables, the machine and the line naming a table's
records."""
import re


def markdown_table(head, rows):
    """A Markdown table of a header and rows of cells (strings)."""
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def ratio(value, digits=2):
    """``2.36x``."""
    return "%.*fx" % (digits, value)


def percent(value, digits=1):
    """``99.4%`` of a share in [0, 1]; "-" for None."""
    return "-" if value is None else "%.*f%%" % (digits, 100 * value)


def minutes(seconds):
    """``7.7 min``."""
    return "%.1f min" % (seconds / 60)


def count(value):
    """``4,500``."""
    return "{:,}".format(value)


def pair(first, second):
    """``0.69 / 0.71``."""
    return "%.2f / %.2f" % (first, second)


def cpu_name(cpu):
    """A CPU's model name without trademarks, core counts and clock: "AMD EPYC 7B13"."""
    cpu = re.sub(r"\((R|TM|tm)\)", "", cpu)
    cpu = re.sub(r"\s+(CPU\s*)?@.*$|\s+\d+-Core Processor$|\s+Processor$", "", cpu)
    return re.sub(r"\s+", " ", cpu).strip()


def machine(provenance):
    """``2-core AMD EPYC``: the cores and CPU of a record's provenance."""
    found = provenance["machine"]
    return "%d-core %s" % (found["cores"], cpu_name(found["cpu"]))


def _listed(items):
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


def sources(records, files):
    """The line under a table: the machine(s), date(s) and commit(s) of its records, and the
    record files, e.g. *Measured on a 2-core AMD EPYC on 2026-12-07 (commit 1a2b3c4);
    records: `records/quality-dcgan.jsonl`.*"""
    found = [record["provenance"] for record in records]
    machines = sorted({machine(p) for p in found})
    dates = sorted({p["date"][:10] for p in found})
    commits = sorted({p["commit"][:7] + ("-dirty" if p["commit"].endswith("-dirty") else "")
                      for p in found})
    return "*Measured on %s on %s (commit %s); records: %s.*" % (
        _listed(["a " + m for m in machines]), _listed(dates), _listed(commits),
        _listed(["`%s`" % f for f in files]))


def history_source(files):
    """The line under a table of history: its files, and that they record no provenance."""
    return "*History: %s, recorded without the command, commit or versions that made it.*" % (
        _listed(["`%s`" % f for f in files]))


def with_sources(table, records, files):
    """A table and its `sources` line."""
    return table + "\n\n" + sources(records, files)
