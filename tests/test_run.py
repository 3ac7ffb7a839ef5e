"""mxgan.run: a run's config from profile and flags, what a resume may change, and the checks made
before any data is loaded."""

from mxgan import run
from mxgan.common.checks import UsageError
from mxgan.distributed.parallel import Cluster
from mxgan.runs.config import DEFAULTS_OF_OLDER_RUNS, TRAINING_LEVERS

import mxnet as mx
import numpy as np
import pytest

from tiny import SAVED_RUN, run_args


def _images(monkeypatch, count):
    """Make the run's training set ``count`` blank digits."""
    monkeypatch.setattr(run, "prepare_images", lambda *a, **k: (
        np.zeros((count, 1, 28, 28), np.uint8), np.arange(count) % 10))


def test_a_batch_larger_than_the_training_set_is_refused(monkeypatch):
    _images(monkeypatch, 10)
    with pytest.raises(UsageError, match="--batch-size 16 is larger than the 10 training images"):
        run.training_data(dict(SAVED_RUN, batch_size=16), Cluster())


def test_the_run_length_is_worked_out_once_for_the_schedule_and_the_loop(monkeypatch):
    _images(monkeypatch, 40)
    config = dict(SAVED_RUN, batch_size=8, epochs=2, max_iters=None, lr_decay="linear", ngf=4,
                  ndf=4, nz=8, ema_decay=0.0)
    trainer, data = run.build("dcgan", config, [mx.cpu()], Cluster())
    assert data.batches_per_epoch == 5
    assert config["iterations"] == trainer.recipe.decay_steps == 10


@pytest.mark.parametrize("levers", [{}, dict(lr_warmup=3, d_steps=2, ema_start=4, beta2=0.99,
                                             top_k_final=0.5, top_k_steps=100,
                                             diffaugment="cutout")],
                         ids=["recorded before them", "given"])
def test_the_levers_reach_the_recipe_and_a_config_without_them_trains_as_before(
        monkeypatch, levers):
    _images(monkeypatch, 16)
    config = dict(SAVED_RUN, batch_size=8, ngf=4, ndf=4, nz=8, ema_decay=0.9, **levers)
    trainer, _ = run.build("dcgan", config, [mx.cpu()], Cluster())
    recipe = trainer.recipe
    assert {key: getattr(recipe, key) for key in TRAINING_LEVERS} == {
        key: levers.get(key, DEFAULTS_OF_OLDER_RUNS[key]) for key in TRAINING_LEVERS}
    assert trainer.average.start == recipe.ema_start
    assert (trainer._augmentation is None) == (not levers)
    assert trainer.updater("generator").optimizer.beta2 == levers.get("beta2", 0.999)


@pytest.mark.parametrize("option, message", [
    (dict(ngf=8), "--ngf and --ndf set the widths of --network cdcgan28"),
    (dict(projection=True, ngf=None, ndf=None),
     "--projection is an option of --network cdcgan28's discriminator"),
    (dict(ac_weight=0.5, ngf=None, ndf=None),
     "--ac-weight gives --network cdcgan28's discriminator a digit classifier"),
])
def test_a_cgan_refuses_options_its_network_does_not_take_before_loading_data(
        monkeypatch, option, message):
    monkeypatch.setattr(run, "prepare_images", None)  # loading data would fail with a TypeError
    config = dict(SAVED_RUN, network="cgan28", condition="onehot", **option)
    with pytest.raises(UsageError, match=message):
        run.build("cgan", config, [mx.cpu()], Cluster())


def test_a_run_directory_that_cannot_be_written_is_refused_before_anything_else(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        run.run_directory(run_args(out=tmp_path / "file"), "dcgan")
    assert run.run_directory(run_args(), "cgan").as_posix() == "runs/cgan-mnist"
    assert run.run_directory(run_args(dry_run=True), "cgan").as_posix() == "runs/cgan-mnist-dry-run"


def test_the_run_length_is_epochs_capped_by_max_iters():
    assert run.run_length(dict(epochs=2, max_iters=None), 100) == 200
    assert run.run_length(dict(epochs=2, max_iters=150), 100) == 150
    assert run.run_length(dict(epochs=None, max_iters=40), 100) == 40


def test_a_resume_whose_limits_end_before_its_checkpoint_is_refused():
    with pytest.raises(UsageError, match="^--max-iters 3 and --epochs 1 would end the run at "
                                         "step 3, before step 4, where its checkpoint is"):
        run._check_continues(dict(max_iters=3, epochs=1, iterations=3), 4)
    run._check_continues(dict(max_iters=4, epochs=None, iterations=4), 4)
