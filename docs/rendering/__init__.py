"""The names docs/render.py fills in README.md and docs/**/*.md, each rendered from records/:
`defaults` (the default commands' runs), `tutorials` (the runs the tutorial pages show) and
`benchmarks` (the benchmarks and their history). `registry` holds the names."""
from . import benchmarks, defaults, tutorials  # noqa: F401  (each registers its names)
from .registry import NOT_MEASURED, REGISTRY, NotMeasured, render  # noqa: F401
