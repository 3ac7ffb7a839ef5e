"""Turn the children's JSON results into per-(workload, impl) figures, ratios and a table."""
import os
import platform
import statistics
from collections import defaultdict

from .harness import images_per_second

RATIOS = (("mxgan", "naive"), ("mxgan", "torch"), ("mxgan", "mxgan-tutorial-graph"))


def step_gflop(args, workloads):
    """GFLOP of one step of each workload's tutorial graph (`benchmarks.flops.step_flops`)."""
    from . import flops, mx_common  # MXNet loads in this process only for the counting
    from .workloads import make_workload
    result = {}
    for name in workloads:
        workload = make_workload(name, device=args.ctx, batch_size=args.batch_size,
                                 filters=args.filters)
        networks = mx_common.networks(workload, "tutorial")
        result[name] = flops.step_flops(*networks, *mx_common.input_shapes(workload)) / 1e9
    return result


def summarize(runs, step_gflop, peak_gflops):
    """One row per (workload, impl): images/s of the median step over all repeats, the spread of
    the per-repeat figures, the tutorial graph's useful GFLOP/s and its share of the peak, and
    the largest peak RSS of its processes."""
    grouped = defaultdict(list)
    for run in runs:
        grouped[run["workload"], run["impl"]].append(run)
    return [_row(workload, impl, group, step_gflop[workload], peak_gflops)
            for (workload, impl), group in grouped.items()]


def _row(workload, impl, group, gflop, peak_gflops):
    step_times = [t for run in group for t in run["step_s"]]
    batch_size = group[0]["batch_size"]
    median = statistics.median(step_times)
    return {"workload": workload, "impl": impl, "batch_size": batch_size,
            "images_per_s": images_per_second(batch_size, step_times),
            "median_step_ms": 1000 * median, "gflops": gflop / median,
            "percent_of_peak": 100 * gflop / median / peak_gflops,
            "per_repeat_images_per_s": [run["images_per_s"] for run in group],
            "peak_rss_mib": max(run["peak_rss_mib"] for run in group),
            "framework_version": group[0]["framework_version"]}


def ratios(rows):
    """Per workload, images/s of each pair in `RATIOS` (e.g. "mxgan/naive"), where both ran."""
    speed = {(row["workload"], row["impl"]): row["images_per_s"] for row in rows}
    result = defaultdict(dict)
    for workload, _ in speed:
        for mine, theirs in RATIOS:
            if (workload, mine) in speed and (workload, theirs) in speed:
                result[workload]["%s/%s" % (mine, theirs)] = (
                    speed[workload, mine] / speed[workload, theirs])
    return dict(result)


def format_table(rows, ratio_table):
    """The rows and ratios as fixed-width text."""
    lines = ["%-8s %-20s %6s %10s %9s %8s %7s %18s %9s" % (
        "workload", "impl", "batch", "images/s", "step ms", "GFLOP/s", "% peak", "per repeat",
        "peak MiB")]
    for row in rows:
        spread = " ".join("%.0f" % value for value in row["per_repeat_images_per_s"])
        lines.append("%-8s %-20s %6d %10.1f %9.1f %8.1f %7.1f %18s %9.0f" % (
            row["workload"], row["impl"], row["batch_size"], row["images_per_s"],
            row["median_step_ms"], row["gflops"], row["percent_of_peak"], spread,
            row["peak_rss_mib"]))
    lines.append("")
    pairs = ["%s/%s" % pair for pair in RATIOS]
    lines.append("%-8s " % "workload" + " ".join("%26s" % pair for pair in pairs))
    for workload, values in ratio_table.items():
        cells = ("%26s" % ("%.2fx" % values[p] if p in values else "-") for p in pairs)
        lines.append("%-8s " % workload + " ".join(cells))
    return "\n".join(lines)


def machine():
    """What the figures were measured on."""
    return {"platform": platform.platform(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0]}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info
                     if line.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else platform.processor()
