"""The precision / recall trade-off of the sampling settings, drawn from the grid's records.

    python benchmarks/sampling_curve.py [records/sampling-dcgan.jsonl records/sampling-cgan.jsonl]

One panel per record file (model); in each, one curve per lever, the other lever off:
truncation (labelled with PSI) and discriminator rejection (labelled with the acceptance rate),
from the shared point where both are off; the dotted line is recall 0.80. Writes
``docs/img/sampling-tradeoff.png``.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from mxgan.cli import main_guard, new_parser  # noqa: E402
from mxgan.common.checks import UsageError  # noqa: E402
from mxgan.common.viz import plt  # noqa: E402  (matplotlib on its file-only backend)

OUT = ROOT / "docs" / "img" / "sampling-tradeoff.png"
DEFAULT_RECORDS = [ROOT / "records" / ("sampling-%s.jsonl" % model) for model in ("dcgan", "cgan")]
# Per lever: its key, the other lever's key and value when off, how a point is labelled.
LEVERS = (("truncation", "acceptance", 1.0, lambda v: "off" if not v else "PSI %g" % v),
          ("acceptance", "truncation", 0.0, lambda v: "" if v == 1 else "keep %g" % v))


def read_lines(path):
    """The records of a JSON lines file."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def lever_curve(lines, lever, other, off):
    """The points of one lever with the other off (and a conditional run's digit check off
    where the grid has it), in the lever's order from off to strongest."""
    points = [line for line in lines if line[other] == off and not line.get("digit_check")]
    strongest_last = sorted(points, key=lambda line: line[lever] or float("inf"), reverse=True)
    return strongest_last


def draw_panel(ax, lines, title):
    """One model's curves on ``ax``."""
    for lever, other, off, label in LEVERS:
        points = lever_curve(lines, lever, other, off)
        ax.plot([p["recall"] for p in points], [p["precision"] for p in points], "o-",
                label="truncation" if lever == "truncation" else "rejection (acceptance rate)")
        for p in points:
            ax.annotate(label(p[lever]), (p["recall"], p["precision"]), fontsize=7,
                        textcoords="offset points", xytext=(4, 3))
    ax.axvline(0.80, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="recall (k-NN)", ylabel="precision (k-NN)", title=title)
    ax.legend(fontsize=8)


def plot(paths, out=OUT):
    """A panel per record file, side by side, into ``out``."""
    fig, axes = plt.subplots(1, len(paths), figsize=(5.5 * len(paths), 4.5), squeeze=False)
    for ax, path in zip(axes[0], paths):
        lines = read_lines(path)
        run = lines[0]
        ax_title = "%s, step %d" % (Path(path).stem.replace("sampling-", "").upper(),
                                    run["iteration"])
        draw_panel(ax, lines, ax_title)
    fig.suptitle("Sampling settings, 5,000 samples (seed 0)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


@main_guard
def main(argv=None):
    """Draw the trade-off of the records files given (default: every model's that exists)."""
    parser = new_parser(__doc__.splitlines()[0], prog="python benchmarks/sampling_curve.py")
    parser.add_argument("records", nargs="*", type=Path, metavar="JSONL",
                        help="sampling records files (default: records/sampling-MODEL.jsonl)")
    paths = parser.parse_args(argv).records or [p for p in DEFAULT_RECORDS if p.is_file()]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing or not paths:
        raise UsageError("no sampling records at %s: write them with python "
                         "benchmarks/sampling_grid.py RUN_DIR" % (", ".join(missing) or "records/"))
    print("wrote %s" % plot(paths))


if __name__ == "__main__":
    main()
