"""mxgan.runs.alarms: runs made to fail on purpose at tiny settings stop or warn, once, with a
pointer to the tutorial; a healthy run says nothing."""
import re

from mxgan.runs import alarms, loop
from mxgan.runs.alarms import Alarms, Diverged, sample_spread
from mxgan.runs.watch import Watch
from mxgan.training import checkpoint
from mxgan.training.recipe import Recipe

import numpy as np
import pytest

import tiny

GUIDE = "docs/dcgan.md#troubleshooting"


class _CountSteps:
    """A trainer that counts the steps the loop asks of it."""

    def __init__(self, trainer):
        self.trainer, self.steps = trainer, 0

    def __getattr__(self, name):
        return getattr(self.trainer, name)

    def step(self, **batch):
        self.steps += 1
        return self.trainer.step(**batch)


def _fit(trainer, run_dir, images, max_iters, *, model="dcgan", start=0, **every):
    every = dict(dict(sample_every=20, checkpoint_every=100), **every)
    return loop.fit(trainer, tiny.data_iter(model, images), run_dir=run_dir, config={"seed": 0},
                    max_iters=max_iters, start=start, watch=Watch(GUIDE), **every)


def _warnings(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]


@pytest.mark.slow
def test_a_huge_lr_stops_at_the_first_non_finite_step_and_keeps_the_last_checkpoint(
        tmp_path, real_u8):
    _fit(tiny.dcgan(), tmp_path, real_u8[:24], 3, checkpoint_every=3)
    good = checkpoint.find(tmp_path)
    before = {path.name: path.read_bytes() for path in good.iterdir()}
    trainer = _CountSteps(tiny.dcgan(recipe=Recipe(lr=1e30)))  # Adam steps of 1e30: overflow
    start = loop.restore(trainer, good)
    with pytest.raises(Diverged, match="^step 4 made a parameter or gradient NaN or infinite.*"
                                       + GUIDE):
        _fit(trainer, tmp_path, real_u8[:24], 100, start=start, checkpoint_every=30)
    assert trainer.steps <= 1 + 2 * loop.LOG_EVERY  # stopped at the second block's log at most
    assert checkpoint.list_checkpoints(tmp_path) == [good]
    assert {path.name: path.read_bytes() for path in good.iterdir()} == before


@pytest.fixture
def quick_alarms(monkeypatch):
    monkeypatch.setattr(alarms, "D_WINS_STEPS", 30)  # a tiny run is short


@pytest.mark.slow
@pytest.mark.parametrize("lr, expected", [
    (2e-4, []),
    (1.0, ["warning: D wins outright: D(G(z)) has stayed below 0.001 for 30 steps (step ",
           "warning: mode collapse: the fixed-noise samples at step "])],
    ids=["healthy", "lr 1"])
def test_a_run_warns_of_d_winning_and_of_collapse_once_each_and_a_healthy_run_of_nothing(
        tmp_path, real_u8, capsys, quick_alarms, lr, expected):
    _fit(tiny.dcgan(recipe=Recipe(lr=lr)), tmp_path, real_u8, 80)
    lines = sorted(_warnings(capsys))
    assert [line[:len(start)] for line, start in zip(lines, expected)] == expected
    assert len(lines) == len(expected) and all(line.endswith("see " + GUIDE) for line in lines)


@pytest.mark.slow
def test_a_conditional_g_that_ignores_its_noise_warns_of_collapse(tmp_path, real_u8, capsys):
    trainer = tiny.cgan()
    trainer._grid_noise[:] = trainer._grid_noise[:1]  # every column of a digit's row alike
    _fit(trainer, tmp_path, real_u8[:24], 4, model="cgan", sample_every=2)
    # (not exactly 0: the 100 samples are drawn in batches of 8, each normalised by BatchNorm
    # with its own statistics)
    [line] = _warnings(capsys)
    assert re.fullmatch(r"warning: mode collapse: the fixed-noise samples at step 2 are "
                        r"near-identical \(they differ by 0\.00\d\d RMS\)\. Try a smaller --lr "
                        r"or a larger --batch-size; see " + GUIDE, line)


def test_the_spread_of_samples_is_taken_within_each_row():
    rng = np.random.RandomState(0)
    distinct = rng.uniform(-1, 1, (4, 1, 2, 2))
    rows_alike = np.repeat(distinct, 3, axis=0)  # 4 rows of 3 copies of one image
    assert sample_spread(rows_alike, ncols=3) == pytest.approx(0, abs=1e-7)
    assert sample_spread(rows_alike) > 0.3  # as one row they differ
    assert sample_spread(np.array([[1.0, 1.0], [-1.0, -1.0]])) == pytest.approx(2.0)


def test_few_classes_in_the_score_warn_of_collapse_once(capsys):
    watcher = Alarms(GUIDE)
    watcher.check_score(100, classes_covered=alarms.MIN_CLASSES)
    assert _warnings(capsys) == []
    for step in (200, 300):
        watcher.check_score(step, classes_covered=2)
    assert _warnings(capsys) == [
        "warning: mode collapse: the samples scored at step 200 cover 2 of 10 classes. Try a "
        "smaller --lr or a larger --batch-size; see " + GUIDE]
