"""Validated, frozen specifications (NumPy only, no JAX): states, models, shocks, books,
loan terms and schedules, strategies, stresses, presets and scenario files."""
