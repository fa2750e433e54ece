"""Benchmarks of the kit: `python -m benchmarks [evaluator|kms|run ...]` (see README, "Benchmarks")."""
