"""Prefect deployments: schedules, per-host work pools, registration and serve."""
