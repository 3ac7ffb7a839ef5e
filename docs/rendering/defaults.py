"""The default commands' runs (benchmarks/quality.py's records whose flags are empty, the newest
of each seed): the README's table of the defaults and the figures its sentences quote."""
from .formats import count, machine, markdown_table, minutes, pair, percent, ratio, with_sources
from .registry import NotMeasured, table, value

MODELS = {"dcgan": "DCGAN", "cgan": "CGAN"}
COMMAND = "python benchmarks/quality.py %s --variant default '' --seeds 0 1"
FILES = {"records/quality-%s.jsonl" % model: COMMAND % model for model in MODELS}
NUM_CLASSES = 10


def file_of(model):
    """The records file of a model's quality runs."""
    return "records/quality-%s.jsonl" % model


def default_runs(found, model):
    """{seed: the newest record of the default command (empty flags)} of one model."""
    runs = {}
    for record in found[file_of(model)]:
        if record["flags"].strip() == "":
            runs[record["seed"]] = record
    if not runs:
        raise NotMeasured(model)
    return dict(sorted(runs.items()))


def seed_zero(found, model):
    """The default run of seed 0, the one the pages' pictures show."""
    runs = default_runs(found, model)
    if 0 not in runs:
        raise NotMeasured(model)
    return runs[0]


def _row(model, record):
    return [MODELS[model], str(record["seed"]), minutes(record["wall_s"]),
            count(record["iterations"]), ratio(record["fd_ratio"]),
            pair(record["precision"], record["recall"]),
            "%d/%d" % (record["classes"], NUM_CLASSES), percent(record.get("accuracy")),
            percent(record.get("worst_digit"))]


@table("defaults", FILES)
def defaults(found):
    """Both default commands on every seed measured: the whole command's minutes, its steps
    and scores."""
    runs = {model: default_runs(found, model) for model in MODELS}
    head = ["model", "seed", "whole command", "steps", "FD / floor", "precision / recall",
            "classes covered", "accuracy as asked", "worst digit"]
    rows = [_row(model, record) for model in MODELS for record in runs[model].values()]
    shown = [record for model in MODELS for record in runs[model].values()]
    return with_sources(markdown_table(head, rows), shown, list(FILES))


@table("defaults-per-digit", {file_of("cgan"): FILES[file_of("cgan")]})
def defaults_per_digit(found):
    """The CGAN default's accuracy as asked, per digit, one row per seed."""
    runs = default_runs(found, "cgan")
    head = ["seed"] + [str(digit) for digit in range(NUM_CLASSES)]
    rows = [[str(seed)] + [percent(a) for a in r["per_digit"]] for seed, r in runs.items()]
    return with_sources(markdown_table(head, rows), list(runs.values()), [file_of("cgan")])


@value("machine", {file_of("dcgan"): FILES[file_of("dcgan")]})
def machine_value(found):
    """The machine the DCGAN's default (seed 0) was measured on, as "2-core AMD EPYC"."""
    return machine(seed_zero(found, "dcgan")["provenance"])


def _register_values():
    """``MODEL.minutes``, ``MODEL.steps``, ``MODEL.fd_ratio``, ``MODEL.precision_recall`` and
    the CGAN's ``cgan.accuracy`` and ``cgan.worst_digit``: seed 0's figures."""
    figures = {"minutes": lambda r: minutes(r["wall_s"]),
               "steps": lambda r: count(r["iterations"]),
               "fd_ratio": lambda r: ratio(r["fd_ratio"]),
               "precision_recall": lambda r: pair(r["precision"], r["recall"])}
    conditional = {"accuracy": lambda r: percent(r["accuracy"]),
                   "worst_digit": lambda r: percent(r["worst_digit"])}
    for model in MODELS:
        shown = dict(figures, **conditional) if model == "cgan" else figures
        for figure, show in shown.items():
            value("%s.%s" % (model, figure), {file_of(model): FILES[file_of(model)]})(
                lambda found, model=model, show=show: show(seed_zero(found, model)))


_register_values()
