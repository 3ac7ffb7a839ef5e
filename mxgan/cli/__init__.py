"""The command line of the examples and the ``python -m mxgan.*`` tools: parsers whose errors are
one line (`parsers`), flag types (`flag_types`), the flags every example shares (`flags`), an
example's profiles as its --help tells them (`profiles`) and the devices ``--ctx`` names
(`devices`). The names the examples use are handed on here, with the error a command raises for a
mistake of its user."""
from ..common.checks import UsageError
from .devices import parse_context, training_contexts
from .flag_types import (
    adam_beta_type,
    batch_size_type,
    count_type,
    decay_type,
    digit_type,
    learning_rate_type,
    make_number_type,
    path_type,
    positive_int_type,
    real_label_type,
    seed_type,
    weight_type,
    width_type,
)
from .flags import add_sampling_args, add_training_args, check_common, sampling_overrides
from .parsers import (
    DefaultsHelpFormatter,
    Parser,
    add_run_args,
    main_guard,
    new_parser,
    parse_given,
)
from .profiles import profile_default

__all__ = ["UsageError", "parse_context", "training_contexts", "adam_beta_type",
           "batch_size_type", "count_type", "decay_type", "digit_type", "learning_rate_type",
           "make_number_type", "path_type", "positive_int_type", "real_label_type", "seed_type",
           "weight_type", "width_type", "add_sampling_args", "add_training_args", "check_common",
           "sampling_overrides", "DefaultsHelpFormatter", "Parser", "add_run_args", "main_guard",
           "new_parser", "parse_given", "profile_default"]
