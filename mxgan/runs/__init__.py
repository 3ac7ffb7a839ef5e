"""A training run around the trainer: its config, directory and lock, the loop, the metrics log, the
in-training watch and alarms, TensorBoard, and its showcase pictures."""
