"""wijkhub benchmarks: each figure is a ratio against a baseline measured in the same run.

Run with ``make bench`` (starts a local broker if needed) or ``python -m bench --help``.
Results (JSON with machine details) and a PNG chart go to ``bench/results/`` (git-ignored).
"""
