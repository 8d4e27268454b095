"""Benchmarks: `make bench` (see docs/PERFORMANCE.md)."""
