"""mxgan.runs.monitoring: how often a run scores itself, and the in-training scorer, which scores
the generator as scoring its checkpoint would."""
import argparse

from mxgan.quality.scores import score_samples
from mxgan.runs import monitoring
from mxgan.training import checkpoint, generate
from mxgan.training.recipe import Recipe

import pytest

import tiny


@pytest.mark.parametrize("given, expected", [
    ({}, 1125), ({"score_every": 500}, 500), ({"score_every": 0}, 0), ({"dry_run": True}, 0),
    ({"no_eval": True}, 0), ({"dry_run": True, "score_every": 2}, 2)])
def test_a_run_scores_itself_four_times_unless_told_otherwise(given, expected):
    args = argparse.Namespace(**dict(dict(score_every=None, dry_run=False, no_eval=False), **given))
    assert monitoring.score_every(args, 4500) == expected


@pytest.mark.slow
@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_a_training_run_is_scored_as_its_checkpoint_would_be(model, tmp_path, real_u8, scorer):
    trainer = tiny.TRAINERS[model](recipe=Recipe(ema_decay=0.9))
    for _ in range(3):
        trainer.step(**tiny.batch(model, real_u8))
    config = dict(dataset="mnist", batch_size=100, nz=tiny.NZ,  # sampled in batches of 100
                  condition="onehot" if model == "cgan" else None)
    checkpoint.save(tmp_path, 3, trainer.checkpoint_states(), {"config": config})
    images, labels, _ = generate.sample_run(tmp_path, 1000)
    expected = score_samples(images, labels, classifier=scorer)
    assert monitoring.TrainingScorer(trainer, config)() == expected
