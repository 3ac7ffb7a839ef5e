"""What a run of the examples reports while it trains, set up from its flags: the alarms,
TensorBoard (``--tensorboard``) and the in-training score (``--score-every``), assembled into the
`mxgan.runs.watch.Watch` that `mxgan.runs.loop.fit` reports to.
"""
from pathlib import Path

from ..common.files import check_writable_dir
from ..quality.scores import FD_SAMPLES, Scorer
from ..training import generate
from ..training.rejection import Critic
from .board import Board, require_tensorboardx
from .watch import Watch

SCORES_PER_RUN = 4  # in-training scores by default, evenly spaced, the last at the end


def check_flags(args, run_dir):
    """Refuse ``--tensorboard`` without tensorboardX or into a directory that cannot be written
    (a `mxgan.common.checks.UserError`), before anything else happens."""
    if args.tensorboard is not None:
        require_tensorboardx()
        check_writable_dir(args.tensorboard or run_dir, "--tensorboard")


def watch(args, run_dir, trainer, config, start):
    """The `Watch` of rank 0 of a run of ``config`` resumed at ``start``: the alarms, pointing to
    the model's tutorial; TensorBoard with ``--tensorboard``; the score every `score_every`."""
    board = None
    if args.tensorboard is not None:
        board = Board(Path(args.tensorboard or run_dir / "tensorboard"), start=start,
                      recipe=trainer.recipe)
    every = score_every(args, config["iterations"])
    return Watch("docs/%s.md#troubleshooting" % config["model"], board=board,
                 score=TrainingScorer(trainer, config) if every else None, score_every=every)


def score_every(args, iterations):
    """Steps between in-training scores: ``--score-every``, else `SCORES_PER_RUN` a run of
    ``iterations`` steps (none for a dry run, or with ``--no-eval``)."""
    if args.score_every is not None:
        return args.score_every
    if args.dry_run or args.no_eval:
        return 0
    return max(1, iterations // SCORES_PER_RUN)


class TrainingScorer:
    """Scores the generator of a run in training, as its final score does
    (`mxgan.run.report_scores`: G's weight average where kept, batch statistics, the run's
    sampling settings, `mxgan.training.generate.draw`), on ``num`` samples: one set for the
    Frechet distance, so it moves by about 20% from set to set.

    ``trainer`` (`mxgan.training.trainer.Trainer`) and its run's ``config``; a call returns the
    `mxgan.quality.scores.score_samples` dict. Sampling runs on copies of G (and of D, where
    the settings reject) bound on the trainer's first device, so training's own arrays and
    BatchNorm statistics stay untouched.
    """

    def __init__(self, trainer, config, num=FD_SAMPLES):
        self.trainer, self.config, self.num = trainer, config, num
        self.scorer = Scorer(config["dataset"], num=num)
        self.sampling = generate.run_sampling(config)
        ctx = trainer.context[0]
        self.module = generate.bind_generator(trainer.symbols["generator"], config,
                                              batch_size=config["batch_size"], ctx=ctx)
        self.critic = (Critic(trainer.symbols["discriminator"], config, ctx=ctx)
                       if self.sampling.rejects else None)

    def __call__(self):
        self.module.set_params(*self.trainer.sampling_params())
        if self.critic is not None:
            self.critic.set_params(*self.trainer.get_params("discriminator"))
        images, labels = generate.draw(self.module, self.config, self.num,
                                       sampling=self.sampling, critic=self.critic)
        return self.scorer(images, labels)
