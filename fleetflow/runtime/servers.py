"""Servers as the state DB knows them (for flows that run without a repo snapshot)."""

from __future__ import annotations

from fleetflow.resources import Server, ServerConfig
from fleetflow.store import StateStore


def applied_server(store: StateStore, name: str) -> Server:
    """The applied ``[[server]]`` entry ``name``; an unknown server means this host's own engine."""
    record = store.get_resource("server", name)
    if record is None:
        return Server(name=name, config=ServerConfig())
    return Server.model_validate({**record.config, "name": name})


def applied_servers(store: StateStore) -> list[Server]:
    """Every applied server."""
    return [Server.model_validate({**r.config, "name": r.name}) for r in store.list_resources("server")]
