"""Training: the trainers and their steps, their checkpoints (networks and optimiser state), and
sampling from a saved generator."""
