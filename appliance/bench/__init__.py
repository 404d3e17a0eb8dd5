"""``wabbit bench``: micro and end-to-end benchmarks, each figure with its reference and ratio."""
