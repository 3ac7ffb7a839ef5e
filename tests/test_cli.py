"""mxgan.cli: every flag type refuses bad values in one line, and paths are checked up front."""
import argparse

import mxnet as mx
import pytest

from mxgan import cli
from mxgan.checks import UserError
from mxgan.cli import UsageError
from mxgan.files import WriteFailed


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


def test_a_run_directory_must_be_a_writable_directory(tmp_path):
    (tmp_path / "file").write_text("")
    assert cli.check_writable_dir(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    with pytest.raises(UsageError, match="is a file, not a directory"):
        cli.check_writable_dir(tmp_path / "file")
    with pytest.raises(UsageError, match="is a file, not a directory"):
        cli.check_writable_dir(tmp_path / "file" / "run")
    with pytest.raises(WriteFailed, match="cannot write /sys: (Read-only|Permission)"):
        cli.check_writable_dir("/sys/mxgan-run")


def test_a_run_directory_under_a_broken_link_or_too_long_a_name_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    for path in (tmp_path / "link", tmp_path / "link" / "run"):
        with pytest.raises(UsageError, match="--out %s: %s is a symbolic link to %s, which does "
                           "not resolve" % (path, tmp_path / "link", tmp_path / "gone")):
            cli.check_writable_dir(path)
    with pytest.raises(UsageError, match="File name too long"):
        cli.check_writable_dir(tmp_path / ("x" * 300))


@pytest.mark.parametrize("kvstore, env, message", [
    ("local", {"DMLC_ROLE": "worker", "DMLC_PS_ROOT_URI": "10.0.0.1"},
     "DMLC_ROLE=worker DMLC_PS_ROOT_URI=10.0.0.1 set, a KVStore job's worker variables, but "
     "--kvstore is local: unset them, or pass --kvstore dist_sync"),
    ("device", {"DMLC_NUM_WORKER": "2"}, "DMLC_NUM_WORKER=2 set"),
    ("dist_sync", {"DMLC_ROLE": "worker", "DMLC_PS_ROOT_URI": "10.0.0.1"},
     "--kvstore dist_sync needs DMLC_PS_ROOT_PORT, DMLC_NUM_SERVER, DMLC_NUM_WORKER set"),
])
def test_a_kvstore_jobs_variables_must_match_the_kvstore_asked_for(kvstore, env, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cli.check_job_variables(kvstore, env)
    cli.check_job_variables("local", {})
    cli.check_job_variables("dist_sync", dict(
        env, DMLC_ROLE="worker", DMLC_PS_ROOT_URI="h", DMLC_PS_ROOT_PORT="9", DMLC_NUM_SERVER="1",
        DMLC_NUM_WORKER="2"))


def test_an_output_file_must_not_be_a_directory(tmp_path):
    with pytest.raises(UsageError, match="--out %s is a directory: give a file name" % tmp_path):
        cli.check_writable_file(tmp_path)
    assert cli.check_writable_file(tmp_path / "scores.json") == tmp_path / "scores.json"


def test_the_flags_given_are_those_on_the_command_line_even_at_their_default():
    parser = cli.add_training_args(cli.new_parser("demo"), profiles={"cpu": {}})
    args, given = cli.parse_given(parser, ["--lr", "2e-4", "--max-iters", "9", "--seed", "0"])
    assert given == {"lr", "max_iters", "seed"}
    assert (args.lr, args.max_iters, args.seed, args.beta1) == (2e-4, 9, 0, 0.5)
    assert cli.parse_given(parser, [])[1] == set()


def test_the_way_to_train_a_run_is_its_recorded_command_else_the_callers(tmp_path):
    assert cli.how_to_train(tmp_path, "python x.py") == "python x.py --out %s" % tmp_path
    assert cli.how_to_train(tmp_path).startswith("one of python examples/*_mnist.py")
    (tmp_path / "config.json").write_text('{"train_command": "python examples/cgan_mnist.py"}')
    assert cli.how_to_train(tmp_path, "python x.py").startswith("python examples/cgan_mnist.py")
