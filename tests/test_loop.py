"""mxgan.runs.loop: a run stopped anywhere and resumed equals the run that was never stopped."""
import dataclasses
import os
import shutil
import signal

import mxgan
from mxgan.runs import loop
from mxgan.runs.rundir import read_metrics
from mxgan.training import checkpoint
from mxgan.training.recipe import Recipe
from mxgan.training.trainer import AVERAGE

import numpy as np
import pytest

import tiny

STEPS = 8
RECIPE = Recipe(lr=1e-3, decay_steps=STEPS, ema_decay=0.9)  # a schedule and an average to resume
# "<model>+d-levers": with both discriminator levers, spectral norm's power vectors to resume too.
D_LEVERS = dict(minibatch_std=True, spectral_norm=True)


class _SignalAt:
    """A trainer whose step ``at`` sends this process ``sig``, as a user or a scheduler would."""

    def __init__(self, trainer, at, sig):
        self.trainer, self.at, self.sig, self.steps = trainer, at, sig, 0

    def __getattr__(self, name):
        return getattr(self.trainer, name)

    def step(self, **batch):
        self.steps += 1
        if self.steps == self.at:
            os.kill(os.getpid(), self.sig)
        return self.trainer.step(**batch)


def _fit(case, run_dir, images, max_iters, *, resume=False, stop_at=None, sig=signal.SIGINT,
         recipe=RECIPE):
    model, _, d_levers = case.partition("+")
    trainer = tiny.TRAINERS[model](seed=3, recipe=recipe, levers=D_LEVERS if d_levers else None)
    start = loop.restore(trainer, checkpoint.find(run_dir)) if resume else 0
    driven = _SignalAt(trainer, stop_at, sig) if stop_at else trainer
    result = loop.fit(driven, tiny.data_iter(model, images), run_dir=run_dir, config={"seed": 5},
                     max_iters=max_iters, sample_every=2, checkpoint_every=3, start=start)
    return trainer, result


@pytest.fixture(scope="module", params=["dcgan", "cgan"])
def straight(request, tmp_path_factory, real_u8):
    """(case, trainer after an uninterrupted run of STEPS steps over 3 epochs of 24 images)."""
    trainer, _ = _fit(request.param, tmp_path_factory.mktemp("straight"), real_u8[:24], STEPS)
    return request.param, trainer


def _assert_identical(trainer, other):
    expected, found = tiny.all_arrays(trainer), tiny.all_arrays(other)
    assert sorted(found) == sorted(expected) and any(key.startswith(AVERAGE) for key in found)
    for key in expected:
        np.testing.assert_array_equal(found[key], expected[key], err_msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_run_stopped_by_a_signal_resumes_to_the_uninterrupted_result(
        straight, tmp_path, real_u8, sig):
    case, expected = straight
    _, (stopped_at, stopped_by) = _fit(case, tmp_path, real_u8[:24], STEPS, stop_at=5, sig=sig)
    assert (stopped_at, stopped_by) == (5, sig)
    assert checkpoint.load_meta(checkpoint.find(tmp_path))["iteration"] == 5
    resumed, (last, stopped_by) = _fit(case, tmp_path, real_u8[:24], STEPS, resume=True)
    assert (last, stopped_by) == (STEPS, None)
    _assert_identical(expected, resumed)
    assert [row["iteration"] for row in read_metrics(tmp_path / "metrics.jsonl")] == list(
        range(1, STEPS + 1))


# The training levers, each in a phase that a stop at step 5 cuts: between G's updates (G trains
# on steps 2, 4, 6, 8), within the warm-up, while the average still copies G and the top-k share
# still falls; DiffAugment draws its transformations in every pass, Adam has its own beta2;
# "+d-levers" adds the discriminator's, whose power vectors then resume too; "cgan-ac" is the
# conditional DCGAN with the projection and the auxiliary digit classifier.
LEVERS = dataclasses.replace(RECIPE, d_steps=2, lr_warmup=6, ema_start=6, beta2=0.99,
                             top_k_final=0.5, top_k_steps=6, diffaugment="translation,cutout")


@pytest.mark.slow
@pytest.mark.parametrize("case", ["dcgan", "cgan", "dcgan+d-levers", "cgan+d-levers", "cgan-ac"])
def test_a_run_with_the_levers_stopped_and_resumed_equals_the_uninterrupted_run(
        case, tmp_path, real_u8):
    expected, _ = _fit(case, tmp_path / "straight", real_u8[:24], STEPS, recipe=LEVERS)
    _, (stopped_at, _) = _fit(case, tmp_path / "run", real_u8[:24], STEPS, stop_at=5,
                              recipe=LEVERS)
    resumed, _ = _fit(case, tmp_path / "run", real_u8[:24], STEPS, resume=True, recipe=LEVERS)
    assert stopped_at == 5 and resumed.iteration == STEPS
    _assert_identical(expected, resumed)
    assert any(key.endswith("_sn_u") for key in tiny.all_arrays(resumed)) == ("+" in case)


def test_a_signal_after_the_step_while_the_grid_is_drawn_still_checkpoints_that_step(
        tmp_path, real_u8, monkeypatch):
    draw, calls = loop.write_fixed_noise_grid, []

    def draw_then_signal(trainer, run_dir, iteration, watch=None):  # after the step
        draw(trainer, run_dir, iteration, watch)
        calls.append(iteration)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(loop, "write_fixed_noise_grid", draw_then_signal)
    _, (stopped_at, stopped_by) = _fit("dcgan", tmp_path, real_u8[:24], STEPS)
    assert (stopped_at, stopped_by) == (2, signal.SIGTERM)  # sample_every=2: the first grid
    assert checkpoint.load_meta(checkpoint.find(tmp_path))["iteration"] == 2


@pytest.mark.slow
def test_a_finished_run_extended_equals_the_longer_run(straight, tmp_path, real_u8):
    case, expected = straight
    _fit(case, tmp_path, real_u8[:24], 4)
    resumed, _ = _fit(case, tmp_path, real_u8[:24], STEPS, resume=True)
    _assert_identical(expected, resumed)


@pytest.mark.slow
def test_a_kill_between_checkpoints_loses_only_the_steps_since_the_last(straight, tmp_path,
                                                                      real_u8):
    case, expected = straight
    _fit(case, tmp_path, real_u8[:24], 7)  # checkpoints at 3, 6 and 7
    shutil.rmtree(checkpoint.list_checkpoints(tmp_path)[-1])  # as if killed before step 7's
    assert checkpoint.load_meta(checkpoint.find(tmp_path))["iteration"] == 6
    resumed, _ = _fit(case, tmp_path, real_u8[:24], STEPS, resume=True)
    _assert_identical(expected, resumed)
    assert [row["iteration"] for row in read_metrics(tmp_path / "metrics.jsonl")] == list(
        range(1, STEPS + 1))  # the log was written up to each checkpoint


class _ReadLogAt(_SignalAt):
    """A trainer that, before step ``at``, reads what the metrics log holds on disk."""

    def step(self, **batch):
        self.steps += 1
        if self.steps == self.at:
            self.seen = [row["iteration"] for row in read_metrics(self.run_dir / "metrics.jsonl")]
        return self.trainer.step(**batch)


def test_the_log_on_disk_holds_every_step_up_to_the_last_checkpoint(tmp_path, real_u8):
    driven = _ReadLogAt(tiny.dcgan(), at=7, sig=None)
    driven.run_dir = tmp_path
    loop.fit(driven, tiny.data_iter("dcgan", real_u8[:24]), run_dir=tmp_path, config={"seed": 0},
            max_iters=STEPS, sample_every=100, checkpoint_every=3)
    assert driven.seen == [1, 2, 3, 4, 5, 6]  # a kill now would lose no logged step


def test_batches_resume_inside_an_epoch_at_the_same_batch(real_u8):
    one = loop.Batches(tiny.data_iter("dcgan", real_u8[:24]), 0)
    straight = [one.next()["data"].asnumpy() for _ in range(5)]
    resumed = loop.Batches(tiny.data_iter("dcgan", real_u8[:24]), 4)  # 3 batches an epoch
    np.testing.assert_array_equal(resumed.next()["data"].asnumpy(), straight[4])


def test_resuming_a_checkpoint_of_another_version_says_so_in_one_line(tmp_path, monkeypatch,
                                                                      capsys):
    checkpoint.save(tmp_path, 3, tiny.dcgan().checkpoint_states(), {"config": {"seed": 0}})
    monkeypatch.setattr(checkpoint, "__version__", "99.0")
    assert loop.restore(tiny.dcgan(), checkpoint.find(tmp_path)) == 3
    assert capsys.readouterr().err.splitlines() == [
        "warning: %s was written by mxgan %s; this is mxgan 99.0"
        % (checkpoint.find(tmp_path), mxgan.__version__)]
