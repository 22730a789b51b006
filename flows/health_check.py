"""``health-check``: observe every host, record samples, find drift and image updates, raise alerts.

Runs every minute. One round: facts of all hosts at once (per-host timeout) ->
samples -> drift against the last good deploys -> registry digests of polled
stacks -> alerts (deduplicated, notified, muted in maintenance windows) ->
``fleet-health`` and ``fleet-drift`` table artifacts. With ``heal`` the stacks
that drifted or have a newer image (and ``auto_update``) are redeployed by an
inline ``deploy-stack`` subflow with ``force=True``.

Ad hoc::

    from flows.health_check import health_check
    asyncio.run(health_check(servers=["host1"]))
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run

from fleetflow.alerts import FLEET, muted
from fleetflow.alerts.evaluate import round_candidates
from fleetflow.health import Target, UpdateStatus, find_drift, fleet_rows, stacks_to_heal
from fleetflow.health import desired as desired_state
from fleetflow.health.drift import stacks_to_update
from fleetflow.health.rollup import drift_rows
from fleetflow.runtime import context
from fleetflow.runtime.hosts import connect_server
from flows.deploy_stack import deploy_stack
from tasks.health import check_images, collect_facts_task, raise_alerts, record_samples


def _run_name() -> str:
    servers = flow_run.parameters.get("servers")
    scope = "all hosts" if not servers else ", ".join(servers[:3]) + (" ..." if len(servers) > 3 else "")
    return f"health {scope}{' + heal' if flow_run.parameters.get('heal') else ''}"


async def _heal(stacks: list[str], servers: dict[str, str], repo: str, branch: str) -> dict[str, str]:
    """Redeploy each stack (force) as an inline subflow; stack -> outcome."""
    outcomes: dict[str, str] = {}
    for stack in stacks:
        if not repo:
            outcomes[stack] = "not healed: pass `repo` (the git repository to deploy from)"
            continue
        try:
            result = await deploy_stack(
                repo=repo, stack=stack, server=servers.get(stack, ""), branch=branch, force=True
            )
            outcomes[stack] = str(result.get("status", "?"))
        except Exception as exc:  # a failed heal is reported (and alerted by deploy-stack), not fatal
            outcomes[stack] = f"failed: {exc}"
    return outcomes


@flow(name="health-check", flow_run_name=_run_name)
async def health_check(
    servers: list[str] | None = None,
    heal: bool = False,
    repo: str = "",
    branch: str = "main",
    timeout_s: float = 20.0,
    check_updates: bool = True,
) -> dict[str, Any]:
    """One health round over ``servers`` (None: every enabled applied server); returns a summary."""
    logger = get_run_logger()
    store, settings = context.store(), context.settings()
    chosen = desired_state.servers(store, servers)
    configs = {s.name: s.config for s in chosen}
    hosts = {s.name: connect_server(s, settings) for s in chosen}
    targets = [
        Target(hosts[s.name], tuple(s.config.ignore_mounts), s.config.stats_monitoring) for s in chosen
    ]
    facts = await collect_facts_task(targets, timeout_s)
    record_samples(facts)

    stacks = desired_state.stacks(store)
    expected = desired_state.expected(store, stacks, set(hosts))
    drift = [row for f in facts if f.reachable for row in find_drift(f.host, expected, f.containers)]
    polled: dict[str, set[str]] = {}
    for exp in expected:
        if stacks[exp.stack].config.poll_for_updates:
            polled.setdefault(exp.server, set()).add(exp.project)
    checks = await check_images(hosts, facts, polled) if check_updates and polled else []

    now = datetime.now(UTC)
    quiet = {name: window for name, cfg in configs.items() if (window := muted(cfg.maintenance_windows, now))}
    on_hosts = [n for n, s in stacks.items() if s.config.server in hosts]
    candidates = round_candidates(
        facts,
        configs,
        drift,
        checks,
        expected,
        desired_state.latest_deploys(store, on_hosts),
        desired_state.latest_syncs(store),
        desired_state.failed_backups(store),
    )
    events = await raise_alerts(candidates, [*hosts, FLEET], quiet)

    healed: dict[str, str] = {}
    if heal:
        updated = {
            (c.host, c.project, c.service) for c in checks if c.status is UpdateStatus.UPDATE_AVAILABLE
        }
        to_heal = set(stacks_to_heal(drift, expected)) | set(stacks_to_update(updated, expected))
        healed = await _heal(sorted(to_heal), {n: stacks[n].config.server for n in to_heal}, repo, branch)

    open_by_host: dict[str, int] = {}
    for alert in store.open_alerts():
        host = alert.dedup_key.split(":", 2)[1] if alert.dedup_key.startswith("health:") else ""
        open_by_host[host] = open_by_host.get(host, 0) + 1
    rows = fleet_rows(facts, drift, open_by_host)
    reachable = sum(f.reachable for f in facts)
    await acreate_table_artifact(
        key="fleet-health",
        table=rows,
        description=f"{reachable}/{len(facts)} hosts reachable, {len(drift)} drift",
    )
    if drift:
        await acreate_table_artifact(key="fleet-drift", table=drift_rows(drift), description="drift from git")
    logger.info(
        "health: %d/%d reachable, %d drift, %d alert change(s)",
        reachable,
        len(facts),
        len(drift),
        len(events),
    )
    return {
        "hosts": rows,
        "reachable": reachable,
        "unreachable": sorted(f.host for f in facts if not f.reachable),
        "drift": drift_rows(drift),
        "updates": [c.model_dump(mode="json") for c in checks if c.status is UpdateStatus.UPDATE_AVAILABLE],
        "alerts": [e.model_dump(mode="json") for e in events],
        "healed": healed,
    }
