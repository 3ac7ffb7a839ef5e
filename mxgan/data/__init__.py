"""The data: MNIST-like data sets, their sources and file format, images and iterators."""
