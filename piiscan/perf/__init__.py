"""Benchmarks and the load harness (``make bench``, ``make load``): not used by the service."""
