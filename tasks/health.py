"""Tasks of the health check: observe the fleet, check image digests, record samples, raise alerts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import httpx
from pydantic import SecretStr

from fleetflow.alerts import AlertEvent, AppriseNotifier, Candidate, reconcile
from fleetflow.health import HostFacts, ImageCheck, RegistryClient, Target, check_updates, collect_fleet
from fleetflow.hosts.base import HostConnection
from fleetflow.runtime import context
from tasks.policy import NEVER, fleet_task

REGISTRY_CACHE: dict[tuple[str, str, str], tuple[float, str]] = {}
"""Registry digests per tag, shared by every round in this process (entries live 10 min)."""


@fleet_task("collect-facts", NEVER)
async def collect_facts_task(
    targets: Sequence[Target], timeout_s: float, concurrency: int = 32
) -> list[HostFacts]:
    """Facts of every host, concurrently; an unreachable host is a fact, so nothing to retry."""
    return await collect_fleet(targets, timeout=timeout_s, concurrency=concurrency)


@fleet_task("record-health")
def record_samples(facts: Sequence[HostFacts]) -> int:
    """Store one health sample per host (kept for the store's retention)."""
    store = context.store()
    for f in facts:
        store.record_health(f.host, f.sample())
    return len(facts)


@fleet_task("check-images", NEVER)
async def check_images(
    hosts: Mapping[str, HostConnection], facts: Sequence[HostFacts], projects: Mapping[str, Collection[str]]
) -> list[ImageCheck]:
    """Registry digest versus running image for the polled stacks of every reachable host."""
    checks: list[ImageCheck] = []
    async with httpx.AsyncClient(timeout=10) as http:
        registry = RegistryClient(http, cache=REGISTRY_CACHE)
        for f in facts:
            if f.reachable and projects.get(f.host):
                checks += await check_updates(
                    hosts[f.host], f.containers, registry, projects=projects[f.host]
                )
    return checks


@fleet_task("raise-alerts")
async def raise_alerts(
    candidates: Sequence[Candidate], evaluated: Collection[str], muted: Mapping[str, str]
) -> list[AlertEvent]:
    """Open, bump and resolve alerts in the store; notify the apprise URLs of what changed."""
    settings = context.settings()
    secrets: list[SecretStr] = [*settings.apprise_urls, *([settings.store_url] if settings.store_url else [])]
    notifier = AppriseNotifier(settings.apprise_urls, secrets=secrets)
    return await reconcile(
        context.store(), candidates, evaluated=evaluated, notifier=notifier, muted=muted, secrets=secrets
    )
