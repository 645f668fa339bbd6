"""Fakes of external services (provider APIs) for tests and benchmarks."""
