"""Benchmarks, run by hand (never in CI): `python -m benchmarks.collect_bench --help`."""
