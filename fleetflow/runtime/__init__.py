"""The glue between the pure core and the flows: repo snapshots, stack specs, host connections.

Nothing here knows about Prefect; flows and tasks call these functions.
"""
