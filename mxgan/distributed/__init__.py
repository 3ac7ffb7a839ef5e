"""Training over several devices and processes: the job's peers, the cluster a worker joins, and
the processes a job starts."""
