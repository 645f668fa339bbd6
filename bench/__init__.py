"""Benchmarks of Relais against the real stack (see bench/README.md)."""
