"""Benchmarks: each ``python -m benchmarks.<name>`` prints ratios against a baseline measured in the same run."""
