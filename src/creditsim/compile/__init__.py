"""Specifications to arrays, once per run (NumPy): the row table and per-feature
parameters of a model, a book's loans, the strategies' arrays."""
