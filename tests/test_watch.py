"""mxgan.runs.watch: the in-training score at tiny settings, a row of its own in
metrics.jsonl and a curve on TensorBoard, taken without touching the training."""
from mxgan.runs import loop
from mxgan.runs.board import SCORE_SCALARS, Board
from mxgan.runs.monitoring import TrainingScorer
from mxgan.runs.rundir import read_metrics
from mxgan.runs.watch import Watch
from mxgan.training.recipe import Recipe

import numpy as np
import pytest

import tiny

RECIPE = Recipe(lr=1e-3, ema_decay=0.9)
# The runs' configs as TrainingScorer reads them (sampling in batches of 100: fewer passes).
CONFIGS = {"dcgan": dict(dataset="mnist", batch_size=100, nz=tiny.NZ),
           "cgan": dict(dataset="mnist", batch_size=100, nz=tiny.NZ, condition="onehot")}


def _fit(model, run_dir, images, score_every):
    """A trainer after 6 steps, scored every ``score_every`` (0: never) onto a board."""
    trainer = tiny.TRAINERS[model](recipe=RECIPE)
    score = TrainingScorer(trainer, CONFIGS[model]) if score_every else None
    watch = Watch(board=Board(run_dir / "tensorboard", recipe=RECIPE), score=score,
                  score_every=score_every)
    loop.fit(trainer, tiny.data_iter(model, images), run_dir=run_dir, config={"seed": 0},
             max_iters=6, sample_every=100, checkpoint_every=100, watch=watch)
    return trainer


@pytest.mark.slow
@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_every_nth_step_is_scored_into_a_row_of_its_own_and_a_tensorboard_curve(
        model, tmp_path, real_u8, scorer):
    _fit(model, tmp_path, real_u8[:24], 3)
    rows = read_metrics(tmp_path / "metrics.jsonl", kind="score")
    assert [row["iteration"] for row in rows] == [3, 6]
    for row in rows:
        assert row["num_samples"] == 1000 and row["fd_ratio"] > 1 and row["score_s"] > 0
        assert 1 <= row["classes_covered"] <= 10 and ("accuracy" in row) == (model == "cgan")
    assert [row["iteration"] for row in read_metrics(tmp_path / "metrics.jsonl")] == [
        1, 2, 3, 4, 5, 6]
    events = tiny.read_events(tmp_path / "tensorboard")
    for tag, key in SCORE_SCALARS.items():
        if key in rows[0]:
            assert [(e.step, e.value) for e in events.Scalars(tag)] == [
                (row["iteration"], pytest.approx(row[key])) for row in rows], tag


@pytest.mark.slow
def test_scoring_leaves_every_parameter_statistic_and_moment_as_it_was(tmp_path, real_u8,
                                                                      scorer):
    scored = tiny.all_arrays(_fit("dcgan", tmp_path / "scored", real_u8[:24], 2))
    unscored = tiny.all_arrays(_fit("dcgan", tmp_path / "unscored", real_u8[:24], 0))
    assert sorted(scored) == sorted(unscored)
    for key in scored:
        np.testing.assert_array_equal(scored[key], unscored[key], err_msg=key)
