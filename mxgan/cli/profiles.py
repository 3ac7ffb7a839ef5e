"""An example's profiles as its ``--help`` shows them: the list of profiles with what each is
for, and a flag's default told per profile where the profiles set it."""
from collections import Counter

from ..runs.config import DEFAULTS_OF_OLDER_RUNS

EPILOG_HEAD = ("profiles (--profile NAME; default: the device's, cpu or gpu, or dry-run with "
               "--dry-run):")


def shown_value(value):
    """A profile's value as help text: on / off for a switch, none for no value."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, float):
        return "%g" % value
    return str(value)


def profile_default(profiles, key, *, absent=None):
    """``(default: ...)`` for a flag whose default each profile sets: the profiles whose value
    differs from the most common one by name, then that value as the others' (every profile by
    name where no value is shared).

    ``absent`` is the text of a profile without ``key`` (None: the value a run takes without it,
    `mxgan.runs.config.DEFAULTS_OF_OLDER_RUNS`, else none).
    """
    if absent is None:
        absent = shown_value(DEFAULTS_OF_OLDER_RUNS.get(key))
    values = {name: shown_value(profile[key]) if key in profile else absent
              for name, profile in sorted(profiles.items())}
    common, count = Counter(values.values()).most_common(1)[0]
    if count == len(values):
        return "(default: %s)" % common
    named = {}
    for name, value in values.items():
        if value != common or count == 1:
            named.setdefault(value, []).append(name)
    parts = ["%s in %s" % (value, ", ".join(names)) for value, names in named.items()]
    if count > 1:
        parts.append("%s in the other profiles" % common)
    return "(default: %s)" % "; ".join(parts)


def profiles_epilog(notes):
    """The list of profiles ``--help`` ends with: each name and what it is for (``notes``)."""
    width = max(map(len, notes))
    return "\n".join([EPILOG_HEAD] + ["  %-*s  %s" % (width, name, note)
                                      for name, note in notes.items()])
