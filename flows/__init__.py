"""Prefect flows: one module per operation."""
