"""The ``fleetflow`` command line: one module per command, wired together in ``app``."""

from fleetflow.cli.app import app, main

__all__ = ["app", "main"]
