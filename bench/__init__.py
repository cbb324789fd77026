"""Benchmarks for issue #3 (nightly runs in well under a second); run `python bench/run.py`."""
