"""Servers as the state DB knows them (for flows that run without a repo snapshot).

The state DB keeps a server's ``address`` as written; ``[[NAME]]`` in it is
resolved here, from the applied (non-secret) variables and the secrets outside
git, as a sync resolves it before deploying.
"""

from __future__ import annotations

from fleetflow.errors import ResourceErrors
from fleetflow.resources import ChainSecrets, EnvSecrets, Resources, SecretResolver, Server, ServerConfig
from fleetflow.resources import interpolate as interpolate_resources
from fleetflow.store import StateStore


def _variables(store: StateStore) -> SecretResolver:
    values = {
        r.name: str(r.config.get("value", ""))
        for r in store.list_resources("variable")
        if not r.config.get("is_secret")  # secret values are stored as digests, never as values
    }
    return EnvSecrets(values, prefix="")


def resolve_address(server: Server, store: StateStore, secrets: SecretResolver | None = None) -> Server:
    """``server`` with ``[[NAME]]`` in its address replaced; ``ResourceErrors`` names an unknown one."""
    if "[[" not in server.config.address:
        return server
    if secrets is None:
        from fleetflow.runtime.secrets import secret_resolver

        secrets = secret_resolver()
    desired = interpolate_resources(
        Resources(servers={server.name: server}), ChainSecrets(_variables(store), secrets)
    )
    return desired.servers[server.name]


def applied_server(store: StateStore, name: str, secrets: SecretResolver | None = None) -> Server:
    """The applied ``[[server]]`` entry ``name``; an unknown server means this host's own engine."""
    record = store.get_resource("server", name)
    if record is None:
        return Server(name=name, config=ServerConfig())
    return resolve_address(Server.model_validate({**record.config, "name": name}), store, secrets)


def applied_servers(store: StateStore, secrets: SecretResolver | None = None) -> list[Server]:
    """Every applied server; one whose address names an unknown ``[[NAME]]`` keeps it as written, so
    only that host fails to connect (and says so) while the others are still checked."""
    servers = []
    for record in store.list_resources("server"):
        server = Server.model_validate({**record.config, "name": record.name})
        try:
            servers.append(resolve_address(server, store, secrets))
        except ResourceErrors:
            servers.append(server)
    return servers
