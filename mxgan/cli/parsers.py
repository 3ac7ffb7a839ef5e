"""Parsers whose mistakes are one line, ``error: ...`` on stderr, and an exit code; no traceback.

A user mistake raises a `mxgan.common.checks.UserError` (`UsageError` for a flag; others for a
dataset, a checkpoint or a busy run directory), exit 2; a file that cannot be written
`mxgan.common.files.WriteFailed`, exit 4; Ctrl-C outside training's own handling
`mxgan.runs.survivors.Interrupted`, exit 130. `main_guard` turns each into that line. `Parser`
does the same for what argparse itself refuses.
"""
import argparse
import functools
import sys

from ..common.checks import UserError
from ..common.files import WriteFailed, is_storage_error
from ..runs.survivors import Interrupted
from .flag_types import path_type


def main_guard(main):
    """Run ``main``; report a user error, a failed write or Ctrl-C as one line ``error: ...``
    on stderr and exit with its ``exit_code``."""
    @functools.wraps(main)
    def guarded(argv=None):
        try:
            return main(argv)
        except (UserError, WriteFailed, Interrupted) as err:
            _fail(err)
        except OSError as err:
            if not is_storage_error(err):
                raise
            _fail(WriteFailed.from_os_error(err))
        except KeyboardInterrupt:
            _fail(Interrupted())
    return guarded


def _fail(error):
    print("error: %s" % error, file=sys.stderr)
    sys.exit(error.exit_code)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``error: ...``, and exit 2 (as `main_guard`)."""

    def error(self, message):
        print("error: %s (see %s --help)" % (message, self.prog), file=sys.stderr)
        sys.exit(2)


class DefaultsHelpFormatter(argparse.RawDescriptionHelpFormatter,
                            argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, except where there is none to show (None, or an off switch):
    those flags' help says what happens instead. The description and the closing text keep
    their lines (an example's list of profiles)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def new_parser(description, prog=None):
    """A `Parser` that shows defaults."""
    return Parser(description=description, prog=prog, formatter_class=DefaultsHelpFormatter)


def add_run_args(parser, verb):
    """A trained run's directory and ``--checkpoint``, for the tools that read a run."""
    parser.add_argument("run_dir", metavar="RUN_DIR", type=path_type,
                        help="training run to %s" % verb)
    parser.add_argument("--checkpoint", metavar="DIR", type=path_type,
                        help="checkpoint directory to %s instead of the run's newest" % verb)


def parse_given(parser, argv=None):
    """Parse ``argv`` (default: the command line): (the arguments, the destinations of the flags
    it actually gives, even at their defaults). A resumed run compares exactly those with its
    saved configuration (`mxgan.run.train`)."""
    args = parser.parse_args(argv)
    unset = object()
    probe = parser.parse_args(argv, argparse.Namespace(**{a.dest: unset for a in parser._actions}))
    return args, {dest for dest, value in vars(probe).items() if value is not unset}
