"""Training: trainers and their steps, devices, the loop, checkpoints, the run directory."""
