"""mxgan.cli: every flag type refuses bad values in one line, and paths are checked up front."""
import argparse

from mxgan import cli
from mxgan.common.checks import UsageError, UserError

import mxnet as mx
import pytest


@pytest.mark.parametrize("parse, text, message", [
    (cli.positive_int_type, "0", "an integer >= 1"),
    (cli.positive_int_type, "two", "an integer >= 1, got 'two'"),
    (cli.batch_size_type, "1", "an integer >= 2 (BatchNorm needs a batch)"),
    (cli.learning_rate_type, "nan", "a number > 0, got nan"),
    (cli.learning_rate_type, "-1", "a number > 0, got -1"),
    (cli.learning_rate_type, "inf", "a number > 0"),
    (cli.adam_beta_type, "1", "a number in [0, 1), got 1"),
    (cli.adam_beta_type, "-0.1", "a number in [0, 1)"),
    (cli.seed_type, "-1", "an integer from 0 to 2147483647"),
    (cli.seed_type, str(2 ** 32), "an integer from 0 to 2147483647"),
    (cli.real_label_type, "0.5", "a number in (0.5, 1]"),
    (cli.decay_type, "1", "a number in [0, 1)"),
    (cli.digit_type, "10", "one digit from 0 to 9"),
    (cli.digit_type, "nine", "one digit from 0 to 9"),
    (cli.path_type, "", "a path, got '' (an unset shell variable?)"),
])
def test_a_flag_type_refuses_a_bad_value_saying_what_it_needs(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match="must be|takes") as refused:
        parse(text)
    assert message in str(refused.value)


@pytest.mark.parametrize("parse, text, value", [
    (cli.learning_rate_type, "2e-4", 2e-4), (cli.adam_beta_type, "0", 0.0), (cli.seed_type, "0", 0),
    (cli.real_label_type, "1", 1.0), (cli.digit_type, "9", 9), (cli.batch_size_type, "2", 2)])
def test_a_flag_type_accepts_the_edges_of_its_range(parse, text, value):
    assert parse(text) == value


def test_a_parser_error_is_one_line_and_exit_2(capsys):
    parser = cli.new_parser("demo", prog="demo")
    parser.add_argument("--lr", type=cli.learning_rate_type)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--lr", "nan"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "error: argument --lr: must be a number > 0, got nan (see demo --help)\n")


def test_main_guard_turns_a_user_error_into_exit_2_and_lets_bugs_through(capsys):
    @cli.main_guard
    def main(argv):
        raise argv
    with pytest.raises(SystemExit) as exited:
        main(UserError("the file is damaged"))
    assert exited.value.code == 2 and capsys.readouterr().err == "error: the file is damaged\n"
    with pytest.raises(KeyError, match="a bug"):  # a bug is not the user's: a traceback
        main(KeyError("a bug"))


@pytest.mark.parametrize("spec, message", [
    ("gpu:-1", "distinct and >= 0"), ("cpu:0,0", "distinct and >= 0"),
    ("gpu:x", "must be integers"), ("tpu", "--ctx must be auto, cpu, gpu"),
    ("gpu:0", "GPU(s) visible to MXNet")])
def test_a_bad_device_list_is_refused(spec, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cli.parse_context(spec)


def test_device_lists_parse_to_contexts():
    assert cli.parse_context("auto") == [mx.cpu()]
    assert cli.parse_context("cpu:0,1") == [mx.cpu(0), mx.cpu(1)]


def test_the_flags_given_are_those_on_the_command_line_even_at_their_default():
    parser = cli.add_training_args(cli.new_parser("demo"), profiles={"cpu": {}},
                                   notes={"cpu": "the device's"})
    args, given = cli.parse_given(parser, ["--lr", "2e-4", "--max-iters", "9", "--seed", "0"])
    assert given == {"lr", "max_iters", "seed"}
    assert (args.lr, args.max_iters, args.seed, args.kvstore) == (2e-4, 9, 0, "local")
    assert cli.parse_given(parser, [])[1] == set()


PROFILES = {"cpu": dict(lr=8e-4, minibatch_std=True, max_iters=4500),
            "gpu": dict(lr=2e-4, max_iters=None),
            "tutorial": dict(lr=2e-4, max_iters=2400)}


@pytest.mark.parametrize("key, absent, shown", [
    ("lr", None, "(default: 0.0008 in cpu; 0.0002 in the other profiles)"),
    ("minibatch_std", None, "(default: on in cpu; off in the other profiles)"),
    ("max_iters", None, "(default: 4500 in cpu; none in gpu; 2400 in tutorial)"),
    ("d_steps", None, "(default: 1)"),
    ("lr_d", "--lr", "(default: --lr)"),
])
def test_a_flags_default_is_told_per_profile(key, absent, shown):
    assert cli.profile_default(PROFILES, key, absent=absent) == shown


def test_help_lists_every_profile_with_what_it_is_for(capsys):
    parser = cli.add_training_args(cli.new_parser("demo"), profiles=PROFILES, notes={
        "cpu": "tuned for 2 cores", "gpu": "longer", "tutorial": "as published"})
    parser.print_help()
    text = capsys.readouterr().out
    assert text.endswith("profiles (--profile NAME; default: the device's, cpu or gpu, or "
                         "dry-run with --dry-run):\n  cpu       tuned for 2 cores\n"
                         "  gpu       longer\n  tutorial  as published\n")
    assert "(default: on in cpu; off in the other profiles)" in " ".join(text.split())
