"""Reproducible training of the bundled model, and toy models for tests and benchmarks."""
