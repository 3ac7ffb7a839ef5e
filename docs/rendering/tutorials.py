"""The tutorial pages' tables, from the record docs/make_figures.py writes of the run each page
shows (records/tutorial-MODEL.jsonl, the newest record)."""
from .formats import count, markdown_table, minutes, pair, percent, ratio, with_sources
from .registry import NotMeasured, table

MODELS = ("dcgan", "cgan")
NUM_CLASSES = 10
COMMAND = "make figures"  # trains both defaults, then docs/make_figures.py records their runs


def _scores(record):
    head = ["steps", "batch", "training loop", "images/s", "FD / floor", "FD (floor)",
            "precision / recall (floor)", "classes covered", "accuracy as asked (floor)"]
    fake, real = record["samples"], record["real"]
    cells = [count(record["steps"]), str(record["batch_size"]), minutes(record["training_s"]),
             "%.0f" % record["images_per_s"]]
    if fake is None:
        return markdown_table(head, [cells + ["-"] * 5])
    cells += [ratio(fake["frechet_distance"] / real["frechet_distance"], 1),
              "%.1f (%.1f)" % (fake["frechet_distance"], real["frechet_distance"]),
              "%s (%s)" % (pair(fake["precision"], fake["recall"]),
                           pair(real["precision"], real["recall"])),
              "%d/%d" % (fake["classes_covered"], NUM_CLASSES),
              "%s (%s)" % (percent(fake["accuracy"]), percent(real["accuracy"]))
              if "accuracy" in fake else "-"]
    return markdown_table(head, [cells])


def _scorer(record):
    scorer = record["scorer"]
    head = ["scorer", "test accuracy", "trained on", "floor"]
    if scorer is None:
        return markdown_table(head, [["-"] * 4])
    return markdown_table(head, [[
        "%s classifier (`mxgan.quality.classifier`)" % scorer["dataset"],
        percent(scorer["test_accuracy"], 2),
        "%s training images" % count(scorer["num_train_images"]),
        "mean FD of %d sets of %s unseen training images" % (scorer["floor_sets"],
                                                             count(scorer["num_fd"]))]])


def _training(record):
    head = ["steps", "D loss", "G loss", "D(x)", "D(G(z))",
            "steps with D loss > %g" % record["d_loss_spike"]]
    return markdown_table(head, [
        ["%s-%s" % (count(w["first"]), count(w["last"]))]
        + ["%.2f" % w[key] for key in ("d_loss", "g_loss", "d_real", "d_fake")]
        + [str(w["d_loss_spikes"])] for w in record["training"]])


def _per_digit(record):
    per_digit = (record["samples"] or {}).get("per_digit") or [None] * NUM_CLASSES
    return markdown_table(["asked digit"] + [str(d) for d in range(NUM_CLASSES)],
                          [["read as asked"] + [percent(a, 0) for a in per_digit]])


def _register(model, section, draw):
    """``MODEL.SECTION``: ``draw`` of the newest record of the model's tutorial run."""
    path = "records/tutorial-%s.jsonl" % model

    @table("%s.%s" % (model, section), {path: COMMAND})
    def render(found):
        if not found[path]:
            raise NotMeasured(path)
        newest = found[path][-1]
        return with_sources(draw(newest), [newest], [path])


for _model in MODELS:
    for _section, _draw in (("scores", _scores), ("scorer", _scorer), ("training", _training)):
        _register(_model, _section, _draw)
_register("cgan", "per-digit", _per_digit)
