"""Benchmarks (not tests): `python -m bench.<name>`; results go to BENCHMARKS.md."""
