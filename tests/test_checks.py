"""mxgan.common.checks: one message for a bad choice, and one base class for every user error."""
from mxgan.cli import UsageError, main_guard
from mxgan.common.checks import UserError, check_choice
from mxgan.data.idx import DatasetError
from mxgan.runs.rundir import RunBusy
from mxgan.training.checkpoint import CheckpointError

import pytest


def test_a_bad_choice_names_the_value_and_every_choice():
    with pytest.raises(ValueError, match=r"^unknown size 32: choose one of 28, 64$"):
        check_choice("size", 32, (28, 64))
    check_choice("size", 28, (28, 64))  # a good choice passes silently


def test_a_bad_choice_raises_the_callers_error():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'"):
        check_choice("dataset", "cifar", ("mnist",), DatasetError)


@pytest.mark.parametrize("error", [UserError, UsageError, DatasetError, CheckpointError,
                                   RunBusy])
def test_every_user_error_is_reported_as_one_line_and_exit_2(error, capsys):
    @main_guard
    def main(argv):
        raise error("what went wrong")
    with pytest.raises(SystemExit) as exited:
        main(None)
    assert exited.value.code == 2 and capsys.readouterr().err == "error: what went wrong\n"
