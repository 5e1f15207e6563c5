"""Analytic oracles the tests (and users) check simulations against."""
