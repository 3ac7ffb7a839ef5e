"""The shared layer: user errors, safe file writing, image grids, MXNet's private API behind named
helpers, and the numpy names MXNet 1.9.1 needs."""
