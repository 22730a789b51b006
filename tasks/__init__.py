"""Prefect tasks wrapping fleetflow adapters with retries and timeouts."""
