"""Sample quality: the scorer's classifier and the scores it gives a set of samples."""
