"""Training over several devices and processes: data parallelism on MXNet's KVStore, the cluster a
worker joins, and the peers a job watches (`python -m mxgan.launch` starts a job)."""
