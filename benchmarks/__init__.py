"""Speed and memory benchmarks: mxgan's trainers against a naive loop and a PyTorch twin."""
