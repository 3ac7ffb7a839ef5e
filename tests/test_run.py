"""mxgan.run: a run's config from profile and flags, what a resume may change, and the checks made
before any data is loaded."""
import argparse
import json

import mxnet as mx
import numpy as np
import pytest

from mxgan import run
from mxgan.cli import UsageError
from mxgan.training.parallel import Cluster

PROFILES = {"cpu": dict(batch_size=64, epochs=None, max_iters=3000, real_label=0.9, ngf=28,
                        ndf=28, image_size=28, channels=1),
            "dry-run": dict(batch_size=8, epochs=None, max_iters=4, real_label=1.0, ngf=4,
                            ndf=4, image_size=28, channels=1)}
SAVED = dict(PROFILES["cpu"], model="dcgan", dataset="mnist", lr=2e-4, beta1=0.5, seed=0,
             kvstore="local", nz=100, ctx=["cpu(0)"], train_command="python x.py")


def _args(**given):
    defaults = dict(dataset="mnist", lr=2e-4, beta1=0.5, seed=0, kvstore="local", nz=100,
                    dry_run=False, out=None, profile=None, batch_size=None, epochs=None,
                    max_iters=None, real_label=None, image_size=None, channels=None, ngf=None, ndf=None)
    return argparse.Namespace(**dict(defaults, **given))


def test_a_new_runs_config_is_the_profile_asked_for_or_the_devices_under_the_flags_given():
    config = run.resolve_config(_args(ngf=16, lr=1e-3), [mx.cpu()], model="dcgan",
                                profiles=PROFILES, train_command="python x.py")
    assert (config["ngf"], config["ndf"], config["lr"], config["max_iters"]) == (16, 28, 1e-3,
                                                                                 3000)
    assert config["ctx"] == ["cpu(0)"] and config["train_command"] == "python x.py"
    dry = run.resolve_config(_args(dry_run=True), [mx.cpu()], model="dcgan", profiles=PROFILES,
                             train_command="python x.py")
    assert dry["max_iters"] == 4 and dry["batch_size"] == 8
    named = run.resolve_config(_args(profile="dry-run", max_iters=9), [mx.cpu()], model="dcgan",
                               profiles=PROFILES, train_command="python x.py")
    assert (named["profile"], named["batch_size"], named["max_iters"]) == ("dry-run", 8, 9)
    assert {key: config[key] for key in run.LATER_KEYS} == dict(
        lr_warmup=0, d_steps=1, ema_start=0, beta2=0.999, top_k_final=1.0, top_k_steps=2000,
        diffaugment="", minibatch_std=False, spectral_norm=False)  # today's training
    warm = run.resolve_config(_args(lr_warmup=50, d_steps=2), [mx.cpu()], model="dcgan",
                              profiles=PROFILES, train_command="python x.py")
    assert (warm["lr_warmup"], warm["d_steps"], warm["ema_start"]) == (50, 2, 0)


@pytest.mark.parametrize("given, shown", [
    (dict(dataset="fashion-mnist"), "--dataset fashion-mnist (the run has mnist)"),
    (dict(seed=3), "--seed 3 (the run has 0)"),
    (dict(lr=1e-3), "--lr 0.001 (the run has 0.0002)"),
    (dict(batch_size=32), "--batch-size 32 (the run has 64)"),
    (dict(ngf=8), "--ngf 8 (the run has 28)"),
    (dict(d_steps=2), "--d-steps 2 (the run has 1)"),  # SAVED predates the key: 1 all along
    (dict(spectral_norm=True), "--spectral-norm True (the run has False)"),  # SAVED predates it
    (dict(top_k_final=0.5), "--top-k-final 0.5 (the run has 1.0)"),
    (dict(diffaugment="translation"), "--diffaugment translation (the run has )"),
    (dict(beta2=0.99), "--beta2 0.99 (the run has 0.999)"),
])
def test_a_resume_refuses_a_flag_that_changes_the_runs_meaning(given, shown):
    with pytest.raises(UsageError, match="these flags differ: %s" % shown.replace(
            "(", r"\(").replace(")", r"\)")):
        run.resumed_config(SAVED, _args(**given), set(given), [mx.cpu()])


def test_a_resume_takes_a_longer_run_and_other_devices_and_repeats_the_rest():
    config = run.resumed_config(SAVED, _args(max_iters=5000, lr=2e-4, ctx="cpu:0,1"),
                                {"max_iters", "lr", "ctx"}, [mx.cpu(0), mx.cpu(1)])
    assert config["max_iters"] == 5000 and config["ctx"] == ["cpu(0)", "cpu(1)"]
    assert {k: config[k] for k in ("lr", "ngf", "seed")} == {"lr": 2e-4, "ngf": 28, "seed": 0}


def test_a_resume_of_a_run_recorded_before_the_levers_takes_their_defaults():
    levers = dict(lr_warmup=0, d_steps=1, ema_start=0, beta2=0.999, top_k_final=1.0,
                  top_k_steps=2000, diffaugment="", minibatch_std=False, spectral_norm=False)
    config = run.resumed_config(SAVED, _args(**levers), set(levers), [mx.cpu()])
    assert {key: config[key] for key in levers} == levers


def test_the_discriminator_levers_are_off_unless_a_profile_or_a_flag_turns_them_on():
    profiles = dict(PROFILES, cpu=dict(PROFILES["cpu"], minibatch_std=True))
    levers = ("minibatch_std", "spectral_norm")
    config = run.resolve_config(_args(), [mx.cpu()], model="cgan", profiles=profiles,
                                train_command="python x.py")
    assert [config[key] for key in levers] == [True, False]
    flagged = run.resolve_config(_args(minibatch_std=False, spectral_norm=True), [mx.cpu()],
                                 model="dcgan", profiles=profiles, train_command="python x.py")
    assert [flagged[key] for key in levers] == [False, True]


def _images(monkeypatch, count):
    """Make the run's training set ``count`` blank digits."""
    monkeypatch.setattr(run, "prepare_images", lambda *a, **k: (
        np.zeros((count, 1, 28, 28), np.uint8), np.arange(count) % 10))


def test_a_batch_larger_than_the_training_set_is_refused(monkeypatch):
    _images(monkeypatch, 10)
    with pytest.raises(UsageError, match="--batch-size 16 is larger than the 10 training images"):
        run.training_data(dict(SAVED, batch_size=16), Cluster())


def test_the_run_length_is_worked_out_once_for_the_schedule_and_the_loop(monkeypatch):
    _images(monkeypatch, 40)
    config = dict(SAVED, batch_size=8, epochs=2, max_iters=None, lr_decay="linear", ngf=4, ndf=4,
                  nz=8, ema_decay=0.0)
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
    config = dict(SAVED, batch_size=8, ngf=4, ndf=4, nz=8, ema_decay=0.9, **levers)
    trainer, _ = run.build("dcgan", config, [mx.cpu()], Cluster())
    recipe = trainer.recipe
    assert {key: getattr(recipe, key) for key in run.TRAINING_LEVERS} == {
        key: levers.get(key, run.LATER_KEYS[key]) for key in run.TRAINING_LEVERS}
    assert trainer.average.start == recipe.ema_start
    assert (trainer._augmentation is None) == (not levers)
    assert trainer.updater("generator").optimizer.beta2 == levers.get("beta2", 0.999)


@pytest.mark.parametrize("option, message", [
    (dict(ngf=8), "--ngf and --ndf set the widths of --network cdcgan28"),
    (dict(projection=True, ngf=None, ndf=None), "--projection is an option of --network cdcgan28's discriminator"),
    (dict(ac_weight=0.5, ngf=None, ndf=None), "--ac-weight gives --network cdcgan28's "
                                               "discriminator a digit classifier"),
])
def test_a_cgan_refuses_options_its_network_does_not_take_before_loading_data(
        monkeypatch, option, message):
    monkeypatch.setattr(run, "prepare_images", None)  # loading data would fail with a TypeError
    config = dict(SAVED, network="cgan28", condition="onehot", **option)
    with pytest.raises(UsageError, match=message):
        run.build("cgan", config, [mx.cpu()], Cluster())


def test_a_run_directory_that_cannot_be_written_is_refused_before_anything_else(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        run.run_directory(_args(out=tmp_path / "file"), "dcgan")
    assert run.run_directory(_args(), "cgan").as_posix() == "runs/cgan-mnist"
    assert run.run_directory(_args(dry_run=True), "cgan").as_posix() == "runs/cgan-mnist-dry-run"


def test_the_run_length_is_epochs_capped_by_max_iters():
    assert run.run_length(dict(epochs=2, max_iters=None), 100) == 200
    assert run.run_length(dict(epochs=2, max_iters=150), 100) == 150
    assert run.run_length(dict(epochs=None, max_iters=40), 100) == 40


def test_a_run_of_the_other_model_is_named_with_the_example_that_opens_it(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dict(SAVED, model="cgan")))
    with pytest.raises(UsageError, match="^%s holds a CGAN run, not a DCGAN one: open it with "
                       "python examples/cgan_mnist.py$" % tmp_path):
        run.claim(tmp_path, "dcgan")
    run.claim(tmp_path, "cgan")
    run.claim(tmp_path / "new", "dcgan")
    with pytest.raises(UsageError, match="holds a run of model 'wgan', which mxgan does not train"):
        run.check_model(dict(SAVED, model="wgan"), "dcgan", tmp_path)


def test_a_resume_whose_limits_end_before_its_checkpoint_is_refused():
    with pytest.raises(UsageError, match="^--max-iters 3 and --epochs 1 would end the run at step 3,"
                       " before step 4, where its checkpoint is"):
        run._check_continues(dict(max_iters=3, epochs=1, iterations=3), 4)
    run._check_continues(dict(max_iters=4, epochs=None, iterations=4), 4)
