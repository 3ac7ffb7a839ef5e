"""argparse ``type=`` functions, named ``*_type``: each converts a flag's text and refuses a value
out of range with a message that says what it must be."""
import argparse
import math
from pathlib import Path

from ..training.levers import AugmentationError, parse_policy

MAX_SEED = 2 ** 31 - 1
# The widest layer a flag may ask for (a network's width or noise size): MXNet describes a
# layer's shape in 32-bit integers, and a generator's first layer is 8 times --ngf wide.
MAX_WIDTH = 2 ** 16


def make_number_type(convert, check, requirement):
    """An argparse type: ``convert`` the text, then refuse values failing ``check``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError("must be %s, got %r" % (requirement, text)) from None
        if not check(value):
            raise argparse.ArgumentTypeError("must be %s, got %s" % (requirement, text))
        return value
    return parse


positive_int_type = make_number_type(int, lambda v: v >= 1, "an integer >= 1")
count_type = make_number_type(int, lambda v: v >= 0, "an integer >= 0")
width_type = make_number_type(int, lambda v: 1 <= v <= MAX_WIDTH,
                              "an integer from 1 to %d" % MAX_WIDTH)
batch_size_type = make_number_type(int, lambda v: v >= 2,
                                   "an integer >= 2 (BatchNorm needs a batch)")
seed_type = make_number_type(int, lambda v: 0 <= v <= MAX_SEED,
                             "an integer from 0 to %d" % MAX_SEED)
learning_rate_type = make_number_type(float, lambda v: math.isfinite(v) and v > 0,
                                      "a number > 0")
adam_beta_type = make_number_type(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
real_label_type = make_number_type(float, lambda v: 0.5 < v <= 1, "a number in (0.5, 1]")
decay_type = make_number_type(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
truncation_type = make_number_type(float, lambda v: math.isfinite(v) and v >= 0,
                                   "a number >= 0 (0: off)")
acceptance_type = make_number_type(float, lambda v: 0 < v <= 1, "a number in (0, 1] (1: off)")
weight_type = make_number_type(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")
top_k_fraction_type = make_number_type(float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def policy_type(text):
    """argparse type: a DiffAugment policy (`mxgan.training.levers.parse_policy`)."""
    try:
        return parse_policy(text)
    except AugmentationError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def path_type(text):
    """argparse type: a path, never an empty one, which `Path` would take as the current
    directory (``--out $RUN`` with RUN unset would fill it with a run)."""
    if not text:
        raise argparse.ArgumentTypeError("must be a path, got '' (an unset shell variable?)")
    return Path(text)


def digit_type(text):
    """argparse type: one digit 0-9."""
    if not (text.isdigit() and 0 <= int(text) <= 9):
        raise argparse.ArgumentTypeError("takes one digit from 0 to 9, got %r" % text)
    return int(text)
