"""Every figure in README.md and docs/ is rendered from a record: the real pages are what their
records render, and the renderer follows a changed record, refuses unknown names and missing
history, and says which command makes a record that does not exist yet."""
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import records

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "docs"))
import render  # noqa: E402  (docs/render.py, with docs/rendering/ beside it)
from rendering import NOT_MEASURED, REGISTRY  # noqa: E402

REQUIRED = ["defaults", "defaults-per-digit", "machine", "dcgan.minutes", "cgan.minutes",
            "dcgan.fd_ratio", "cgan.accuracy", "throughput", "scaling", "layers",
            "time-to-quality", "history-quality", "history-time-to-quality", "dcgan.scores",
            "dcgan.scorer", "dcgan.training", "cgan.scores", "cgan.per-digit"]


def quality_record(model, seed, wall_s, **extra):
    """A record as benchmarks/quality.py writes it for the default command."""
    figures = dict(model=model, variant="default", flags="", seed=seed, wall_s=wall_s,
                   iterations=4500, fd_ratio=2.36, fd=20.8, floor=8.8, precision=0.69,
                   recall=0.71, classes=10, samples=5000)
    if model == "cgan":
        figures.update(accuracy=0.994, worst_digit=0.98, per_digit=[0.99] * 9 + [0.98])
    return dict(figures, **extra, provenance=dict(
        records.provenance("python benchmarks/quality.py %s" % model),
        machine={"cpu": "AMD EPYC 7B13 64-Core Processor", "cores": 2}))


@pytest.fixture
def site(tmp_path):
    """A repository of one README and one page, with records of both default commands."""
    for model in ("dcgan", "cgan"):
        for seed in (0, 1):
            records.append(tmp_path / "records" / ("quality-%s.jsonl" % model),
                           quality_record(model, seed, 462.0))
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "The DCGAN takes <!-- value dcgan.minutes -->?<!-- /value --> on a "
        "<!-- value machine -->?<!-- /value -->.\n\n<!-- table defaults -->\n<!-- /table -->\n")
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n<!-- table defaults-per-digit -->\nold\n<!-- /table -->\n")
    return tmp_path


def test_the_pages_are_what_their_records_render():
    assert render.run(ROOT, check=True) == [], "run python docs/render.py"


def test_the_names_the_pages_use_are_registered():
    assert set(REQUIRED) <= set(REGISTRY)
    for entry in REGISTRY.values():
        assert entry.files and all(path.startswith("records/") for path in entry.files)


def test_blocks_render_from_the_records_and_then_check_clean(site):
    assert render.run(site, check=True) != []
    assert render.run(site) == ["rendered README.md", "rendered docs/page.md"]
    readme = (site / "README.md").read_text()
    assert "The DCGAN takes <!-- value dcgan.minutes -->7.7 min<!-- /value --> on a " \
        "<!-- value machine -->2-core AMD EPYC 7B13<!-- /value -->." in readme
    assert "| DCGAN | 1 | 7.7 min | 4,500 | 2.36x | 0.69 / 0.71 | 10/10 | - | - |" in readme
    assert "| CGAN | 0 | 7.7 min | 4,500 | 2.36x | 0.69 / 0.71 | 10/10 | 99.4% | 98.0% |" in readme
    assert "records: `records/quality-dcgan.jsonl` and `records/quality-cgan.jsonl`" in readme
    assert "| 1 | 99.0% |" in (site / "docs" / "page.md").read_text()
    assert render.run(site, check=True) == []


def test_a_newer_record_changes_the_page_and_the_check_notices(site):
    render.run(site)
    records.append(site / "records" / "quality-dcgan.jsonl", quality_record("dcgan", 0, 600.0))
    assert render.run(site, check=True) == [
        "README.md:1: value dcgan.minutes differs from what its records render",
        "README.md:3: table defaults differs from what its records render"]
    render.run(site)
    assert "<!-- value dcgan.minutes -->10.0 min<!-- /value -->" in (site / "README.md").read_text()


def test_a_missing_record_names_the_command_that_makes_it(site):
    render.run(site)
    (site / "records" / "quality-cgan.jsonl").unlink()
    problems = render.run(site, check=True)
    assert problems[0].startswith("README.md:3: table defaults its records do not exist: "
                                  + NOT_MEASURED)
    assert "docs/page.md:3: table defaults-per-digit its records do not exist" in problems[1]
    render.run(site)
    page = (site / "docs" / "page.md").read_text()
    assert "(not measured yet: run `python benchmarks/quality.py cgan --variant default '' " \
        "--seeds 0 1`)" in page
    assert render.run(site, check=True) == []  # a placeholder is what a missing record renders


def test_variants_other_than_the_default_do_not_count_as_the_default(site):
    for model in ("dcgan", "cgan"):
        path = site / "records" / ("quality-%s.jsonl" % model)
        path.write_text(json.dumps(quality_record(model, 0, 60.0, flags="--lr 1e-3")) + "\n")
    render.run(site)
    assert "(not measured yet: run" in (site / "README.md").read_text()


def test_an_unknown_name_or_missing_history_is_an_error_and_stays_as_it_was(site):
    page = site / "docs" / "page.md"
    page.write_text("<!-- table no-such-table -->\nkept\n<!-- /table -->\n"
                    "<!-- value defaults -->x<!-- /value -->\n"
                    "<!-- table history-layers -->\nkept\n<!-- /table -->\n")
    expected = ["docs/page.md:1: table no-such-table: not a registered name (see docs/rendering/)",
                "docs/page.md:4: value defaults: registered as a table, not a value",
                "docs/page.md:5: table history-layers: records/history/layers.json does not exist"]
    assert [line for line in render.run(site, check=True) if "page.md" in line] == expected
    assert [line for line in render.run(site) if "page.md" in line] == expected
    assert "kept" in page.read_text() and ">x<" in page.read_text()


def test_a_record_without_a_field_its_table_reads_is_reported_not_raised(site):
    path = site / "records" / "quality-cgan.jsonl"
    path.write_text(json.dumps({"flags": "", "seed": 0}) + "\n")
    problems = [line for line in render.run(site, check=True) if "page.md" in line]
    assert problems == ["docs/page.md:3: table defaults-per-digit: its records lack what it "
                        "reads (KeyError: 'per_digit')"]


def test_the_command_exits_1_on_drift_and_0_when_rendered(tmp_path):
    (tmp_path / "docs").mkdir()
    script = tmp_path / "docs" / "render.py"
    script.write_text((ROOT / "docs" / "render.py").read_text())
    (tmp_path / "docs" / "rendering").symlink_to(ROOT / "docs" / "rendering")
    (tmp_path / "README.md").write_text("<!-- table throughput -->\nstale\n<!-- /table -->\n")
    check = [sys.executable, str(script), "--check"]
    done = subprocess.run(check, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("README.md:1: table throughput its records do not exist")
    assert subprocess.run(check[:2], capture_output=True, cwd=tmp_path).returncode == 0
    assert subprocess.run(check, capture_output=True, cwd=tmp_path).returncode == 0
