"""``GET /metrics``: Prometheus text, computed from the state DB at scrape time.

A custom collector on a private registry reads the store when scraped (at most
once per ``min_interval_s``; scrapes in between reuse the last reading), so
the numbers are the fleet's, not this process's.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from fleetflow.api.health import last_poll
from fleetflow.api.reads import deploys_since
from fleetflow.backup.layout import list_dumps
from fleetflow.store import DeployStatus, StateStore, SyncOutcome

DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
RECENT_RUNS = 100
DEPLOY_WINDOW = timedelta(hours=24)


def duration_histogram(durations: Sequence[float]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative buckets (``le``, count) and the sum of deploy durations in seconds."""
    buckets = [(str(le), float(sum(1 for d in durations if d <= le))) for le in DURATION_BUCKETS]
    return [*buckets, ("+Inf", float(len(durations)))], sum(durations)


class StoreCollector(Collector):
    """Fleet metrics read from the store at scrape time."""

    def __init__(
        self,
        store: StateStore,
        *,
        backup_root: Path | None = None,
        host_stale_after: timedelta = timedelta(minutes=3),
        min_interval_s: float = 10.0,
    ) -> None:
        self._store = store
        self._backup_root = backup_root
        self._stale = host_stale_after
        self._min_interval = min_interval_s
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self._min_interval:
                self._cached = (now, self._read())
            return list(self._cached[1])

    def _read(self) -> list[Metric]:
        store, now = self._store, datetime.now(UTC)
        metrics: list[Metric] = []

        syncs = GaugeMetricFamily(
            "fleetflow_sync_runs",
            f"Sync runs by outcome (latest {RECENT_RUNS} per sync).",
            labels=["outcome"],
        )
        outcomes: Counter[str] = Counter()
        for sync in store.list_resources("resource_sync"):
            outcomes.update(r.outcome.value for r in store.sync_runs(sync.name, limit=RECENT_RUNS))
        for outcome in SyncOutcome:
            syncs.add_metric([outcome.value], outcomes[outcome.value])
        metrics.append(syncs)

        polled = last_poll(store)
        poll_age = GaugeMetricFamily(
            "fleetflow_last_poll_age_seconds", "Seconds since a repository last moved or a sync last ran."
        )
        if polled is not None:
            poll_age.add_metric([], (now - polled).total_seconds())
        metrics.append(poll_age)

        records = deploys_since(store, now - DEPLOY_WINDOW)
        deploys = GaugeMetricFamily(
            "fleetflow_deploys",
            "Deploys by outcome, finished in the last 24 hours.",
            labels=["outcome"],
        )
        by_status = Counter(r.status.value for r in records)
        for status in DeployStatus:
            deploys.add_metric([status.value], by_status[status.value])
        metrics.append(deploys)
        buckets, total = duration_histogram([r.seconds for r in records])
        histogram = HistogramMetricFamily(
            "fleetflow_deploy_duration_seconds", "How long deploys took (same window as fleetflow_deploys)."
        )
        histogram.add_metric([], buckets, total)
        metrics.append(histogram)

        up = GaugeMetricFamily(
            "fleetflow_host_up",
            "1 when the host's latest health sample is recent and reachable.",
            labels=["host"],
        )
        for server in store.list_resources("server"):
            sample = store.latest_health(server.name)
            fresh = sample is not None and now - sample.at <= self._stale
            reachable = bool(sample.facts.get("reachable", True)) if sample else False
            up.add_metric([server.name], 1.0 if fresh and reachable else 0.0)
        metrics.append(up)

        alerts = GaugeMetricFamily("fleetflow_open_alerts", "Open alerts by severity.", labels=["severity"])
        severities = Counter(a.severity.value for a in store.open_alerts())
        for severity in ("info", "warning", "critical"):
            alerts.add_metric([severity], severities[severity])
        metrics.append(alerts)

        backup = GaugeMetricFamily(
            "fleetflow_last_backup_age_seconds", "Seconds since the newest complete dump."
        )
        dumps = list_dumps(self._backup_root) if self._backup_root is not None else []
        if dumps:
            backup.add_metric([], (now - dumps[-1].taken_at).total_seconds())
        metrics.append(backup)
        return metrics


def metrics_registry(collector: Collector) -> CollectorRegistry:
    """A private registry holding ``collector`` (never the process-global one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
