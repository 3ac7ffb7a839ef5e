"""The one check of a value against a fixed set of choices, and the user errors."""


def check_choice(what, value, choices, error=ValueError):
    """Raise ``error`` naming the valid ``choices`` unless ``value`` is one of them."""
    if value not in choices:
        names = ", ".join(str(choice) for choice in choices)
        raise error("unknown %s %r: choose one of %s" % (what, value, names))


class UserError(Exception):
    """A problem the user can fix (a flag, a file, a busy directory); the message says how.

    Command-line entry points report it as one line and exit ``exit_code``
    (`mxgan.cli.parsers.main_guard`).
    """

    exit_code = 2


class UsageError(UserError):
    """A problem with what the user asked for; the message says how to fix it."""
