"""Prefect tasks: adapter calls wrapped with retries and timeouts (see ``tasks.policy``)."""
