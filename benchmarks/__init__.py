"""Benchmarks: `python -m benchmarks` runs every bench_*.py and prints one table.

Prefect servers started here (test harness, ``prefect server start``) send no
telemetry: benchmarks talk to 127.0.0.1 and the test bed only.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
