"""Sampling settings: truncated noise, a run's record of them, the flags (the rejection rule:
tests/test_rejection.py)."""
import json
import math

from mxgan.runs.config import resolve_config
from mxgan.training import checkpoint, checkpoint_reading, generate, rejection
from mxgan.training.sampling import Sampling, truncated_normal

import mxnet as mx
import numpy as np
import pytest
from test_examples import _exit_message, cgan, dcgan

import tiny

# ---- truncated noise --------------------------------------------------------------------------

@pytest.mark.parametrize("psi", [0.3, 1.0, 2.0])
def test_truncated_noise_stays_within_psi_with_the_truncated_normals_spread(psi):
    values = truncated_normal(np.random.RandomState(0), (4000, 50), psi)
    density = np.exp(-psi ** 2 / 2) / np.sqrt(2 * np.pi)
    mass = math.erf(psi / math.sqrt(2))  # P(|z| <= psi)
    expected_std = np.sqrt(1 - 2 * psi * density / mass)
    assert values.shape == (4000, 50) and np.abs(values).max() <= psi
    assert abs(values.mean()) < 0.01 and abs(values.std() - expected_std) < 0.01


def test_noise_without_truncation_is_the_standard_normal_of_the_seed():
    drawn = Sampling().noise(np.random.RandomState(3), (5, 7))
    np.testing.assert_array_equal(drawn, np.random.RandomState(3).normal(size=(5, 7)))
    assert Sampling(truncation=0).psi is None and Sampling(acceptance=1).keep_fraction is None


# ---- drawing a run with the settings ----------------------------------------------------------

def _saved(model, tmp_path, real_u8, **settings):
    trainer = tiny.TRAINERS[model]()
    trainer.step(**tiny.batch(model, real_u8))
    config = {"nz": tiny.NZ, "batch_size": tiny.BATCH, "dataset": "mnist", "seed": 0,
              **settings}
    if model == "cgan":
        config["condition"] = "onehot"
    checkpoint.save(tmp_path, 1, trainer.checkpoint_states(), {"config": config})


def test_a_run_recorded_before_the_settings_samples_as_with_them_off(tmp_path, real_u8):
    _saved("dcgan", tmp_path / "old", real_u8)
    _saved("dcgan", tmp_path / "off", real_u8, truncation=None, acceptance=1.0)
    old = generate.sample_run(tmp_path / "old", 11, seed=4)[0]
    np.testing.assert_array_equal(old, generate.sample_run(tmp_path / "off", 11, seed=4)[0])
    module, _ = generate.open_generator(tmp_path / "old")
    noise = np.random.RandomState(4).normal(size=(16, tiny.NZ))  # two whole batches of 8
    np.testing.assert_array_equal(old, generate.from_codes(module, noise, is_train=True)[:11])


def test_a_runs_settings_are_drawn_with_and_a_command_overrides_them(tmp_path, real_u8):
    _saved("dcgan", tmp_path, real_u8, truncation=0.5, acceptance=0.5)
    recorded = generate.sample_run(tmp_path, 20, seed=1)[0]
    np.testing.assert_array_equal(recorded, generate.sample_run(tmp_path, 20, seed=1)[0])
    truncated_only = generate.sample_run(tmp_path, 20, seed=1, overrides={"acceptance": 1.0})[0]
    plain = generate.sample_run(tmp_path, 20, seed=1, overrides={"truncation": 0,
                                                                  "acceptance": 1.0})[0]
    assert recorded.shape == truncated_only.shape == plain.shape == (20, 1, 28, 28)
    assert not np.allclose(recorded, truncated_only) and not np.allclose(truncated_only, plain)


class InkCritic:
    """A stand-in for `mxgan.training.rejection.Critic` that likes ink: its logit is an image's mean
    pixel, real images' logits are ``real_logits``, and it reads an image as the digit asked
    only when its logit is above ``threshold``."""

    def __init__(self, threshold, real_logits=None):
        self.threshold, self._real_logits = threshold, real_logits

    def logits(self, images, digits=None):
        return images.mean(axis=(1, 2, 3))

    def real_logits(self):
        return self._real_logits

    def likeliest_digits(self, images, digits):
        return np.where(self.logits(images) > self.threshold, digits, (digits + 1) % 10)


def test_the_digit_check_keeps_only_samples_read_as_asked_in_their_places(tmp_path, real_u8):
    _saved("cgan", tmp_path, real_u8)
    module, config = generate.open_generator(tmp_path)
    threshold = float(np.median(generate.draw(module, config, 80)[0].mean(axis=(1, 2, 3))))
    digits = np.array([3, 3, 3, 7, 0])
    images, drawn = generate.draw(module, config, 5, digits=digits, critic=InkCritic(threshold),
                                  sampling=Sampling(digit_check=True))
    assert images.shape == (5, 1, 28, 28) and drawn.tolist() == digits.tolist()
    assert np.all(images.mean(axis=(1, 2, 3)) > threshold)


def test_a_critic_that_rejects_everything_ends_with_unchecked_samples_and_a_warning(
        tmp_path, real_u8, monkeypatch, capsys):
    _saved("cgan", tmp_path, real_u8)
    module, config = generate.open_generator(tmp_path)
    monkeypatch.setattr(rejection, "MAX_ROUNDS", 3)
    monkeypatch.setattr(rejection, "MAX_ROUND_SIZE", 16)
    images, _ = generate.draw(module, config, 5, critic=InkCritic(np.inf),
                              sampling=Sampling(digit_check=True))
    assert images.shape == (5, 1, 28, 28) and np.isfinite(images).all()
    assert "D rejected nearly every sample; 1 taken unchecked" in capsys.readouterr().err


def test_rejection_keeps_the_samples_the_critic_rates_highest(tmp_path, real_u8):
    _saved("dcgan", tmp_path, real_u8)
    module, config = generate.open_generator(tmp_path)
    plain = generate.draw(module, config, 400, seed=2)[0]
    ink = plain.mean(axis=(1, 2, 3))
    reals = np.random.RandomState(0).normal(ink.mean() + 2 * ink.std(), ink.std(), 1000)
    critic = InkCritic(None, reals)  # real logits two spreads above the generated ones
    kept = generate.draw(module, config, 400, seed=2, critic=critic,
                         sampling=Sampling(acceptance=0.3))[0]
    assert kept.shape == plain.shape
    assert critic.logits(kept).mean() > ink.mean() + 0.5 * ink.std()


def test_a_run_with_rejection_draws_the_asked_digits(tmp_path, real_u8):
    _saved("cgan", tmp_path, real_u8, acceptance=0.5)
    digits = np.array([3, 3, 3, 7, 0])
    images, drawn, _ = generate.sample_run(tmp_path, 5, digits=digits)
    assert images.shape == (5, 1, 28, 28) and drawn.tolist() == digits.tolist()
    np.testing.assert_array_equal(images, generate.sample_run(tmp_path, 5, digits=digits)[0])


def test_the_digit_check_of_an_unconditional_run_is_refused(tmp_path, real_u8):
    _saved("dcgan", tmp_path, real_u8)
    with pytest.raises(ValueError, match="conditional"):
        generate.sample_run(tmp_path, 4, overrides={"digit_check": True})


# ---- the record in config.json and the flags -------------------------------------------------

def _arrays(run_dir):
    ckpt = checkpoint.find(run_dir)
    return {name: value.asnumpy() for net in ("generator", "discriminator")
            for params in checkpoint_reading.load_params(ckpt, net)
            for name, value in params.items()}


def test_sampling_settings_are_recorded_and_leave_training_and_its_resume_bit_exact(tmp_path):
    plain, sampled = tmp_path / "plain", tmp_path / "sampled"
    settings = ["--truncation", "1.5", "--acceptance", "0.8"]
    for run_dir, flags in ((plain, []), (sampled, settings)):
        mx.random.seed(0)  # the networks' initial weights come from MXNet's global generator
        assert dcgan.main(["--dry-run", "--out", str(run_dir)] + flags) == 0
        assert dcgan.main(["--dry-run", "--out", str(run_dir), "--resume", "--max-iters",
                           "6"]) == 0
    expected, found = _arrays(plain), _arrays(sampled)
    assert expected.keys() == found.keys()
    for name in expected:
        np.testing.assert_array_equal(found[name], expected[name], err_msg=name)
    config = json.loads((sampled / "config.json").read_text())
    assert config["truncation"] == 1.5 and config["acceptance"] == 0.8
    assert checkpoint.load_meta(checkpoint.find(sampled))["config"]["truncation"] == 1.5
    assert json.loads((plain / "config.json").read_text())["truncation"] is None


def test_a_resume_may_change_how_the_run_samples(tmp_path):
    out = ["--dry-run", "--out", str(tmp_path)]
    assert cgan.main(out + ["--digit-check"]) == 0
    assert cgan.main(out + ["--resume", "--max-iters", "5", "--no-digit-check",
                            "--truncation", "2"]) == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["digit_check"] is False and config["truncation"] == 2.0


@pytest.mark.parametrize("example, flags, shown", [
    (dcgan, ["--truncation", "-1"], "--truncation: must be a number >= 0 (0: off), got -1"),
    (dcgan, ["--acceptance", "0"], "--acceptance: must be a number in (0, 1] (1: off), got 0"),
    (cgan, ["--acceptance", "1.5"], "--acceptance: must be a number in (0, 1] (1: off), got 1.5"),
], ids=["negative-psi", "acceptance-0", "acceptance-above-1"])
def test_bad_sampling_values_are_refused_in_one_line(example, flags, shown, tmp_path, capsys):
    line = _exit_message(example.main, ["--dry-run", "--out", str(tmp_path)] + flags, capsys)
    assert shown in line


def test_the_in_training_scores_and_generate_draw_with_the_runs_settings(tmp_path, scorer):
    out = ["--dry-run", "--out", str(tmp_path)]
    assert dcgan.main(out + ["--acceptance", "0.5", "--score-every", "2"]) == 0
    scores = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()
              if "fd_ratio" in line]
    assert [row["iteration"] for row in scores] == [2, 4]
    assert dcgan.main(out + ["--generate", "10"]) == 0
    recorded = np.load(tmp_path / "generated.npy")
    np.testing.assert_array_equal(recorded, generate.sample_run(tmp_path, 10)[0])
    assert dcgan.main(out + ["--generate", "10", "--acceptance", "1"]) == 0
    plain = generate.sample_run(tmp_path, 10, overrides={"acceptance": 1.0})[0]
    np.testing.assert_array_equal(np.load(tmp_path / "generated.npy"), plain)
    assert not np.allclose(recorded, plain)


@pytest.mark.parametrize("example, model", [(dcgan, "dcgan"), (cgan, "cgan")])
def test_the_cpu_profile_sets_the_sampling_and_a_flag_overrides_it(example, model):
    def config(*flags):
        args = example.build_parser().parse_args(["--profile", "cpu", *flags])
        return resolve_config(args, [mx.cpu()], model=model, profiles=example.PROFILES,
                                  train_command="python x.py")
    assert config()["acceptance"] == example.PROFILES["cpu"].get("acceptance")
    assert config("--acceptance", "1")["acceptance"] == 1.0
    assert config("--truncation", "0.7")["truncation"] == 0.7
    assert ("digit_check" in config()) == (model == "cgan")


def test_rejected_samples_stream_in_chunks_and_the_first_chunk_is_the_plain_draw(
        tmp_path, real_u8, monkeypatch):
    _saved("dcgan", tmp_path, real_u8)
    module, config = generate.open_generator(tmp_path)
    sampling, critic = Sampling(digit_check=False, acceptance=0.5), InkCritic(0.0, np.zeros(64))
    monkeypatch.setattr(generate, "REJECTION_CHUNK", 6)
    chunks = list(generate.draw_batches(module, config, 15, seed=2, sampling=sampling,
                                        critic=critic))
    assert [len(chunk) for chunk in chunks] == [6, 6, 3]
    first = generate.draw(module, config, 6, seed=2, sampling=sampling, critic=critic)[0]
    np.testing.assert_array_equal(chunks[0], first)
    assert not np.allclose(chunks[0], chunks[1])

