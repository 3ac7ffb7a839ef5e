"""Sample quality: the scorer's classifier, the scores it gives a set of samples, and their report
(a table beside the real-data floor, one summary line)."""
