"""``pull-all-hosts``: fast-forward a git checkout on every host at once (never merges or resets).

``path`` is the checkout on each host; ``{server}`` in it is replaced by the server name
(``/srv/checkouts/{server}``). One row per host in the ``pull-all-hosts`` table artifact:
updated (from..to), up to date, diverged (refused) or failed (with the reason).

Ad hoc::

    from flows.pull_all_hosts import pull_all_hosts
    asyncio.run(pull_all_hosts(path="/srv/homelab"))
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run

from fleetflow.errors import ConfigError
from fleetflow.fleetops import PullStatus, PullTarget
from fleetflow.fleetops.hosts import chosen_servers, close_fleet, connect_fleet
from fleetflow.runtime import context
from tasks.fleetops import pull_checkouts


def _run_name() -> str:
    servers = flow_run.parameters.get("servers")
    scope = "all hosts" if not servers else ", ".join(servers[:3]) + (" ..." if len(servers) > 3 else "")
    return f"pull {flow_run.parameters.get('path')} on {scope}"


def host_path(path: str, server: str) -> str:
    """``path`` with ``{server}`` replaced (the only placeholder)."""
    return path.replace("{server}", server)


@flow(name="pull-all-hosts", flow_run_name=_run_name)
async def pull_all_hosts(
    path: str,
    servers: list[str] | None = None,
    remote: str = "origin",
    branch: str | None = None,
    timeout_s: float = 120.0,
) -> dict[str, Any]:
    """Pull ``path`` fast-forward-only on ``servers`` (None: every enabled applied server)."""
    if not path.strip():
        raise ConfigError("pull-all-hosts needs the checkout path on the hosts", hint="pass path=/srv/repo")
    logger = get_run_logger()
    chosen = chosen_servers(context.store(), servers)
    hosts = connect_fleet(chosen, context.settings())
    try:
        targets = [PullTarget(h, host_path(path, name), remote, branch) for name, h in hosts.items()]
        results = await pull_checkouts(targets, timeout_s)
    finally:
        await close_fleet(hosts)
    rows = [r.model_dump(mode="json") for r in results]
    counts = {s.value: sum(r.status is s for r in results) for s in PullStatus}
    await acreate_table_artifact(
        key="pull-all-hosts",
        table=[{k: row[k] for k in ("server", "path", "status", "detail", "duration_s")} for row in rows],
        description=", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no hosts",
    )
    for r in results:
        if not r.ok:
            logger.warning("%s: %s %s", r.server, r.status.value, r.detail)
    return {"results": rows, "counts": counts, "ok": all(r.ok for r in results)}
