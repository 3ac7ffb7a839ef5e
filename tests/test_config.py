"""A run's configuration: the profile under the flags given, and what a resume may change."""
from mxgan.common.checks import UsageError
from mxgan.runs.config import DEFAULTS_OF_OLDER_RUNS, resolve_config, resumed_config

import mxnet as mx
import pytest

from tiny import RUN_PROFILES, SAVED_RUN, run_args


def test_a_new_runs_config_is_the_profile_asked_for_or_the_devices_under_the_flags_given():
    config = resolve_config(run_args(ngf=16, lr=1e-3), [mx.cpu()], model="dcgan",
                                profiles=RUN_PROFILES, train_command="python x.py")
    assert (config["ngf"], config["ndf"], config["lr"], config["max_iters"]) == (16, 28, 1e-3,
                                                                                 3000)
    assert config["ctx"] == ["cpu(0)"] and config["train_command"] == "python x.py"
    dry = resolve_config(run_args(dry_run=True), [mx.cpu()], model="dcgan", profiles=RUN_PROFILES,
                             train_command="python x.py")
    assert dry["max_iters"] == 4 and dry["batch_size"] == 8
    named = resolve_config(run_args(profile="dry-run", max_iters=9), [mx.cpu()], model="dcgan",
                               profiles=RUN_PROFILES, train_command="python x.py")
    assert (named["profile"], named["batch_size"], named["max_iters"]) == ("dry-run", 8, 9)
    assert {key: config[key] for key in DEFAULTS_OF_OLDER_RUNS} == dict(
        lr_warmup=0, d_steps=1, ema_start=0, beta1=0.5, beta2=0.999, top_k_final=1.0,
        top_k_steps=2000, diffaugment="", minibatch_std=False,
        spectral_norm=False)  # today's training
    warm = resolve_config(run_args(lr_warmup=50, d_steps=2), [mx.cpu()], model="dcgan",
                              profiles=RUN_PROFILES, train_command="python x.py")
    assert (warm["lr_warmup"], warm["d_steps"], warm["ema_start"]) == (50, 2, 0)


@pytest.mark.parametrize("given, shown", [
    (dict(dataset="fashion-mnist"), "--dataset fashion-mnist (the run has mnist)"),
    (dict(seed=3), "--seed 3 (the run has 0)"),
    (dict(lr=1e-3), "--lr 0.001 (the run has 0.0002)"),
    (dict(batch_size=32), "--batch-size 32 (the run has 64)"),
    (dict(ngf=8), "--ngf 8 (the run has 28)"),
    (dict(d_steps=2), "--d-steps 2 (the run has 1)"),  # SAVED_RUN predates the key: 1 all along
    (dict(spectral_norm=True), "--spectral-norm True (the run has False)"),  # SAVED_RUN predates it
    (dict(top_k_final=0.5), "--top-k-final 0.5 (the run has 1.0)"),
    (dict(diffaugment="translation"), "--diffaugment translation (the run has )"),
    (dict(beta2=0.99), "--beta2 0.99 (the run has 0.999)"),
])
def test_a_resume_refuses_a_flag_that_changes_the_runs_meaning(given, shown):
    with pytest.raises(UsageError, match="these flags differ: %s" % shown.replace(
            "(", r"\(").replace(")", r"\)")):
        resumed_config(SAVED_RUN, run_args(**given), set(given), [mx.cpu()])


def test_a_resume_takes_a_longer_run_and_other_devices_and_repeats_the_rest():
    config = resumed_config(SAVED_RUN, run_args(max_iters=5000, lr=2e-4, ctx="cpu:0,1"),
                                {"max_iters", "lr", "ctx"}, [mx.cpu(0), mx.cpu(1)])
    assert config["max_iters"] == 5000 and config["ctx"] == ["cpu(0)", "cpu(1)"]
    assert {k: config[k] for k in ("lr", "ngf", "seed")} == {"lr": 2e-4, "ngf": 28, "seed": 0}


def test_a_resume_of_a_run_recorded_before_the_levers_takes_their_defaults():
    levers = dict(lr_warmup=0, d_steps=1, ema_start=0, beta1=0.5, beta2=0.999, top_k_final=1.0,
                  top_k_steps=2000, diffaugment="", minibatch_std=False, spectral_norm=False)
    config = resumed_config(SAVED_RUN, run_args(**levers), set(levers), [mx.cpu()])
    assert {key: config[key] for key in levers} == levers


def test_the_discriminator_levers_are_off_unless_a_profile_or_a_flag_turns_them_on():
    profiles = dict(RUN_PROFILES, cpu=dict(RUN_PROFILES["cpu"], minibatch_std=True))
    levers = ("minibatch_std", "spectral_norm")
    config = resolve_config(run_args(), [mx.cpu()], model="cgan", profiles=profiles,
                                train_command="python x.py")
    assert [config[key] for key in levers] == [True, False]
    flagged = resolve_config(run_args(minibatch_std=False, spectral_norm=True), [mx.cpu()],
                                 model="dcgan", profiles=profiles, train_command="python x.py")
    assert [flagged[key] for key in levers] == [False, True]


def test_a_profile_sets_adams_betas_and_a_flag_given_overrides_them():
    profiles = dict(RUN_PROFILES, cpu=dict(RUN_PROFILES["cpu"], beta1=0.0, beta2=0.99))
    config = resolve_config(run_args(), [mx.cpu()], model="dcgan", profiles=profiles,
                            train_command="python x.py")
    assert (config["beta1"], config["beta2"]) == (0.0, 0.99)
    given = resolve_config(run_args(beta1=0.5), [mx.cpu()], model="dcgan", profiles=profiles,
                           train_command="python x.py")
    assert (given["beta1"], given["beta2"]) == (0.5, 0.99)
    dry = resolve_config(run_args(dry_run=True), [mx.cpu()], model="dcgan", profiles=profiles,
                         train_command="python x.py")
    assert (dry["beta1"], dry["beta2"]) == (0.5, 0.999)  # a profile without them: Adam's own
