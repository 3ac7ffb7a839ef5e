"""The benchmarks' tables: throughput, scaling, layers, hosts, time to quality, the second
opinion, the quality variants and the levers they measure, and the sampling levers; most also as
``history-NAME`` from records/history/."""
from .formats import count, history_source, markdown_table, pair, percent, ratio, with_sources
from .registry import table

MODELS = ("dcgan", "cgan")
RATIOS = ("mxgan/naive", "mxgan/torch", "mxgan/mxgan-tutorial-graph")
LAYOUTS = ("1 device", "2 devices", "2 workers")
ALONE = "1 worker"


def _throughput(records):
    record = records[0]  # one file, its newest record
    head = ["workload", "implementation", "batch", "images/s", "step ms", "GFLOP/s",
            "% of peak", "peak MiB"]
    rows = [[r["workload"], r["impl"], str(r["batch_size"]), "%.0f" % r["images_per_s"],
             "%.1f" % r["median_step_ms"], "%.1f" % r["gflops"], "%.1f" % r["percent_of_peak"],
             "%.0f" % r["peak_rss_mib"]] for r in record["results"]]
    return markdown_table(head, rows)


def _throughput_ratios(records):
    record = records[0]  # one file, its newest record
    rows = [[workload] + [ratio(values[p]) if p in values else "-" for p in RATIOS]
            for workload, values in record["ratios"].items()]
    return markdown_table(["workload"] + list(RATIOS), rows)


def _scaling(records):
    record = records[0]  # one file, its newest record
    speed = {(r["model"], r["layout"]): r["images_per_s"] for r in record["results"]}
    models = [m for m in MODELS if any(model == m for model, _ in speed)]
    rows = [[m.upper()] + ["%.0f" % speed[m, layout] if (m, layout) in speed else "-"
                           for layout in LAYOUTS] for m in models]
    return markdown_table(["images/s"] + list(LAYOUTS), rows)


def _layers(records):
    record = records[0]  # one file, its newest record
    rows = record if isinstance(record, list) else record["rows"]  # history: the rows alone
    head = ["workload", "rewrite", "tutorial ms", "fast ms", "passes a step",
            "ms saved per step"]
    return markdown_table(head, [[r["workload"], r["rewrite"], "%.2f" % r["tutorial_ms"],
                                  "%.2f" % r["fast_ms"], str(r["passes"]),
                                  "%.1f" % r["saved_ms_per_step"]] for r in rows])


def _hosts(records):
    record = records[0]  # one file, its newest record
    rows = record["rows"]
    layouts = list(rows[0]["median_ms"]) if rows else [ALONE]
    head = ["network", "gradients", "batch"] + [
        layout if layout == ALONE else "2 hosts, " + layout for layout in layouts]
    return markdown_table(head, [[r["net"], "%.1f MB" % r["gradient_mb"], str(r["batch_size"])]
                                 + ["%.0f" % r["median_ms"][layout] for layout in layouts]
                                 for r in rows])


def _time_to_quality(records):
    head = ["model", "steps", "training", "FD / floor", "precision / recall",
            "accuracy as asked"]
    rows = [[r["model"].upper(), count(p["iteration"]), "%.1f min" % (p["training_s"] / 60),
             ratio(p["fd_ratio"]), pair(p["precision"], p["recall"]), percent(p["accuracy"])]
            for r in records for p in r["points"]]
    return markdown_table(head, rows)


def _quality(records):
    head = ["model", "variant", "flags", "seed", "steps", "whole command", "FD / floor",
            "precision / recall", "classes", "accuracy as asked", "worst digit"]
    rows = [[r["model"].upper(), r["variant"], "`%s`" % r["flags"] if r["flags"] else "-",
             str(r["seed"]), count(r["iterations"]), "%.1f min" % (r["wall_s"] / 60),
             ratio(r["fd_ratio"]), pair(r["precision"], r["recall"]), str(r["classes"]),
             percent(r.get("accuracy")), percent(r.get("worst_digit"))] for r in records]
    return markdown_table(head, rows)


def _levers(records):
    """Each lever run, by steps (no wall time, which depends on how busy the machine was): the
    flags its command added to the example's defaults of the day, its seed and its scores."""
    head = ["flags", "seed", "steps", "FD / floor", "precision / recall", "classes"]
    rows = [["`%s`" % lever_flags(r) if lever_flags(r) else "- (the default of the day)",
             str(r["seed"]), count(r["steps"]), ratio(r["fd_ratio"]),
             pair(r["precision"], r["recall"]), str(r["classes"])] for r in records]
    return markdown_table(head, rows)


def lever_flags(record):
    """The flags of a lever run's command beyond its run directory and seed."""
    words = record["provenance"]["command"].split()[2:]
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("--out", "--seed"):
            skip = True
        else:
            kept.append(word)
    return " ".join(kept)


def _sampling(records):
    """Each sampling lever alone (the other off) on the newest sweep of each model: truncation
    PSI (0: off) and the share of samples rejection keeps (1: off), with the digit check's
    setting for a conditional G."""
    newest = {(r["model"], r["truncation"], r["acceptance"], r.get("digit_check")): r
              for r in records}
    head = ["model", "truncation", "acceptance", "digit check", "FD / floor",
            "precision / recall", "classes", "accuracy as asked"]
    rows = [[model.upper(), "off" if t == 0 else "%g" % t, "off" if a == 1 else "%g" % a,
             {None: "-", True: "on", False: "off"}[check], ratio(r["fd_ratio"]),
             pair(r["precision"], r["recall"]), str(r["classes_covered"]),
             percent(r.get("accuracy"))]
            for (model, t, a, check), r in newest.items() if t == 0 or a == 1]
    return markdown_table(head, rows)


def _second_opinion(records):
    newest = {record["run_dir"]: record for record in records}
    head = ["run", "dataset", "FD / floor", "precision / recall", "classes",
            "accuracy as asked", "per-class FD (mean, worst)"]
    rows = [[r["run_dir"], r["dataset"], ratio(r["fd_ratio"]), pair(r["precision"], r["recall"]),
             str(r["classes_covered"]), percent(r.get("accuracy")),
             "%s, %s" % (ratio(r["per_class_fd_ratio_mean"]), ratio(r["per_class_fd_ratio_worst"]))
             if "per_class_fd_ratio_mean" in r else "-"] for r in newest.values()]
    return markdown_table(head, rows)


def newest_of_each(found):
    """The newest record of each file."""
    return [records[-1] for records in found]


def every(found):
    """Every record of every file, in file order."""
    return [record for records in found for record in records]


def register_pair(name, files, history, draw, pick=newest_of_each):
    """Register ``name``: ``draw`` of the records ``pick`` chooses from ``files`` ({path:
    command}, as a list of each file's records) with the line naming their sources; and
    ``history-NAME``, the same from the files of ``history`` (a list of paths)."""
    @table(name, files)
    def current(found):
        shown = pick([found[path] for path in files])
        return with_sources(draw(shown), shown, list(files))

    if history:
        @table("history-" + name, {path: None for path in history})
        def past(found):
            return draw(pick([found[path] for path in history])) + "\n\n" + \
                history_source(history)


register_pair("throughput", {"records/throughput.jsonl": "python benchmarks/run.py"},
              ["records/history/results.json"], _throughput)
register_pair("throughput-ratios", {"records/throughput.jsonl": "python benchmarks/run.py"},
              ["records/history/results.json"], _throughput_ratios)
register_pair("scaling", {"records/scaling.jsonl": "python benchmarks/scaling.py"},
              ["records/history/scaling.json"], _scaling)
register_pair("layers", {"records/layers.jsonl": "python benchmarks/layers.py"},
              ["records/history/layers.json"], _layers)
register_pair("hosts", {"records/hosts.jsonl": "python benchmarks/hosts.py"},
              ["records/history/hosts.json"], _hosts)
register_pair("time-to-quality",
              {"records/time-to-quality-%s.jsonl" % m:
               "python benchmarks/time_to_quality.py %s" % m for m in MODELS},
              ["records/history/time-to-quality-%s.json" % m for m in MODELS], _time_to_quality)
register_pair("quality",
              {"records/quality-%s.jsonl" % m:
               "python benchmarks/quality.py %s --variant NAME FLAGS" % m for m in MODELS},
              ["records/history/quality-%s.json" % m for m in MODELS], _quality, pick=every)
register_pair("levers",
              {"records/levers-dcgan.jsonl": "python benchmarks/levers.py record RUN_DIR"},
              [], _levers, pick=every)
register_pair("sampling",
              {"records/sampling-%s.jsonl" % m:
               "python benchmarks/sampling_grid.py runs/%s-mnist" % m for m in MODELS},
              [], _sampling, pick=lambda found: [dict(record, model=model) for model, records
                                                 in zip(MODELS, found) for record in records])
register_pair("second-opinion",
              {"records/second-opinion.jsonl": "python benchmarks/second_opinion.py RUN_DIR"},
              [], _second_opinion, pick=every)
