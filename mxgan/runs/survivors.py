"""What of a run survives a failure: a failed write or Ctrl-C that ends a command names the run's
newest complete checkpoint, the one a resume or a reader would use."""
import contextlib

from ..common.files import WriteFailed, is_storage_error
from ..training import checkpoint

INTERRUPTED_EXIT = 130  # the shell's code for a process ended by Ctrl-C (SIGINT)


class Interrupted(Exception):
    """Ctrl-C ended a command outside training's own checkpoint-and-stop; the message says what
    of its run survived."""

    exit_code = INTERRUPTED_EXIT

    def __init__(self, survivors=None):
        super().__init__("interrupted (Ctrl-C); every file is written whole or not at all%s"
                         % ("; %s" % survivors if survivors else ""))


@contextlib.contextmanager
def naming_survivors(run_dir):
    """Say, in a `WriteFailed` or a Ctrl-C that ends the block, what of the run in ``run_dir``
    survived: its newest complete checkpoint (`mxgan.training.checkpoint.survivors`)."""
    try:
        yield
    except OSError as err:
        if not is_storage_error(err):
            raise
        failed = err if isinstance(err, WriteFailed) else WriteFailed.from_os_error(err)
        failed.survivors = checkpoint.survivors(run_dir)
        raise failed from None
    except KeyboardInterrupt:
        raise Interrupted(checkpoint.survivors(run_dir)) from None
