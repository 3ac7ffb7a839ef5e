"""The shared layer: user errors, the environment check, safe file writing, MXNet's private API
in one place, and image grids."""
