"""Benchmarks. Each prints one final JSON line with its figures; run as `python -m bench.<name>`."""
