"""mxgan.runs.rundir: one training run per directory, and a metrics log a kill cannot break."""
import json
import subprocess
import sys
import time

from mxgan.runs.rundir import (
    MetricsLog,
    NotARun,
    RunBusy,
    RunLock,
    read_metrics,
    recorded_config,
)
from mxgan.training import checkpoint

import mxnet as mx
import pytest

import tiny

LOCK_AND_WAIT = ("import sys, time; from mxgan.runs.rundir import RunLock\n"
                 "with RunLock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)")


RUN_CONFIG = {"model": "dcgan", "dataset": "mnist", "batch_size": 8}


def _write(directory, files):
    """Create ``files`` ({relative path: text, or None for a directory}) under ``directory``."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.mkdir()
        else:
            path.write_text(text)


@pytest.mark.parametrize("files", [
    {}, {".lock": ""}, {".lock": "process 12 (since 10:00:00)\n"},
    {".tmp-999999-config.json": "{"},  # a killed writer's staging file
], ids=["empty", "empty-lock", "a-lock", "staging-leftover"])
def test_an_empty_directory_or_one_with_only_leftovers_is_free(tmp_path, files):
    _write(tmp_path, files)
    assert recorded_config(tmp_path) is None
    assert recorded_config(tmp_path / "missing") is None


def test_a_run_is_known_by_its_config_json_else_its_newest_checkpoint(tmp_path, real_u8):
    _write(tmp_path, {"config.json": json.dumps(RUN_CONFIG), "notes.txt": "mine"})
    assert recorded_config(tmp_path) == RUN_CONFIG  # a user's own notes beside a run are fine
    (tmp_path / "config.json").unlink()
    checkpoint.save(tmp_path, 4, tiny.dcgan().checkpoint_states(),
                    {"config": dict(RUN_CONFIG, seed=3)})
    assert recorded_config(tmp_path)["seed"] == 3


@pytest.mark.parametrize("files, reason", [
    ({"config.json": '{"lr": 1}', "metrics.jsonl": "{}\n"}, "its config.json names no model"),
    ({"config.json": "model: dcgan"}, "its config.json is not JSON"),
    ({"metrics.jsonl": "", "samples": None}, "it has no config.json or checkpoints"),
    ({"config.json": json.dumps(RUN_CONFIG), "checkpoints/notes.txt": "x"},
     "its checkpoints/ holds notes.txt, not checkpoints"),
    ({"config.json": json.dumps(RUN_CONFIG), "checkpoints/iter-best": None},
     "its checkpoints/ holds iter-best, not checkpoints"),
    ({"config.json": json.dumps(RUN_CONFIG), "checkpoints": "a file"},
     "its checkpoints is not a directory"),
    ({"config.json": None}, "its config.json is not a file"),
    ({".lock": "my own lock file"}, "it has no config.json or checkpoints"),
], ids=["own-config", "config-not-json", "no-record", "foreign-file-in-checkpoints",
        "foreign-dir-in-checkpoints", "checkpoints-a-file", "config-a-directory", "foreign-lock"])
def test_a_directory_no_run_wrote_is_refused_naming_it_and_what_it_holds(tmp_path, files, reason):
    _write(tmp_path, files)
    with pytest.raises(NotARun) as refused:
        recorded_config(tmp_path)
    message = str(refused.value)
    assert message.startswith("%s is not an mxgan run (%s" % (tmp_path, reason))
    assert "it holds %s" % sorted(files)[0].split("/")[0] in message


def test_a_refusal_names_a_few_entries_and_counts_the_rest(tmp_path):
    _write(tmp_path, {"file%d" % i: "" for i in range(7)})
    with pytest.raises(NotARun,
                       match=r"it holds file0, file1, file2, file3 and 3 more: pass --out"):
        recorded_config(tmp_path)


def test_a_link_to_a_foreign_directory_says_where_it_leads(tmp_path):
    _write(tmp_path, {"elsewhere/data.csv": "1,2"})
    (tmp_path / "run").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(NotARun, match=r"run \(a link to %s\) is not an mxgan run"
                       % (tmp_path / "elsewhere")):
        recorded_config(tmp_path / "run")


def test_a_second_lock_on_a_run_directory_names_the_process_holding_it(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(RunBusy, match=r"in use by process \d+ \(since"):
            with RunLock(tmp_path):
                pass
    with RunLock(tmp_path):  # released on leaving the block
        pass


@pytest.mark.slow
def test_the_lock_of_a_killed_process_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", LOCK_AND_WAIT, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunBusy, match="process %d" % holder.pid):
            RunLock(tmp_path).__enter__()
    finally:
        holder.kill()
        holder.wait()
    with RunLock(tmp_path):
        pass


def test_a_partial_last_line_is_skipped(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"iteration": 1, "g_loss": 1.0}) + "\n" + '{"iteration": 2, "g_lo')
    assert read_metrics(path) == [{"iteration": 1, "g_loss": 1.0}]
    assert read_metrics(tmp_path / "missing.jsonl") == []


def test_resuming_keeps_the_rows_up_to_the_checkpoint_and_rewrites_the_log(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows = [{"iteration": i, "g_loss": float(i)} for i in range(1, 6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"iteration": 6, "g')
    log = MetricsLog(path, 3, batch_size=4)
    assert [r["iteration"] for r in log.rows] == [1, 2, 3]
    assert path.read_text().count("\n") == 3 and path.read_text().endswith("}\n")


def test_blocks_are_written_one_block_late_then_flushed(tmp_path):
    log = MetricsLog(tmp_path / "metrics.jsonl", 0, batch_size=4)
    block = [mx.nd.array([0.5, 0.6, 0.7, 0.8, 0.2, 1]) for _ in range(3)]
    assert log.push(1, block) == []  # held until the next block arrives
    time.sleep(0.01)
    rows = log.push(4, block)
    assert [row["iteration"] for row in rows] == [1, 2, 3]
    assert rows[-1]["d_loss"] == pytest.approx(1.1) and rows[-1]["finite"] == 1
    assert [row["iteration"] for row in log.flush()] == [4, 5, 6]
    assert [r["iteration"] for r in read_metrics(tmp_path / "metrics.jsonl")] == list(range(1, 7))


def test_scores_are_rows_of_their_own_kind_kept_up_to_the_checkpoint_on_resume(tmp_path):
    path = tmp_path / "metrics.jsonl"
    log = MetricsLog(path, 0, batch_size=4)
    log.push(1, [mx.nd.array([0.5, 0.6, 0.7, 0.8, 0.2, 1])] * 4)
    log.flush()
    log.add_score(2, {"fd_ratio": 3.0}, seconds_spent=0.5)
    log.add_score(4, {"fd_ratio": 2.0}, seconds_spent=0.5)
    assert [row["iteration"] for row in read_metrics(path)] == [1, 2, 3, 4]
    assert [(row["iteration"], row["score_s"]) for row in read_metrics(path, kind="score")] == [
        (2, 0.5), (4, 0.5)]
    resumed = MetricsLog(path, 3, batch_size=4)
    assert [row["iteration"] for row in resumed.rows] == [1, 2, 3]
    assert [row["fd_ratio"] for row in resumed.scores] == [3.0]
    assert len(read_metrics(path, kind=None)) == 4
