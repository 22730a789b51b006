"""Where a deploy's time goes, read back from the Prefect API and the Docker engine.

One :class:`Round` per measured change: the wall clock when it was triggered and
when the new container was seen running. After the rounds (logs reach the API in
batches), :func:`phase_rows` reads each round's flow runs (``poll-repo``,
``sync-resources``, ``deploy-stack``: their start and end times), the
``deploy-stack`` run's artifact (its ``Timings:`` line: the flow's preparation
and the engine's stage durations) and the new container's ``State.StartedAt``, and prints the median of
each phase:

trigger -> poll-repo running -> sync-resources running -> deploy-stack running
-> container started (plan done, compose config, pull check, compose up) -> seen
running by the benchmark; then, after the container runs: the health check
(``wait``) and the rest until deploy-stack and the triggering run end.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import docker
import httpx

_TIMINGS = re.compile(r"^Timings: (.*)$", re.MULTILINE)


@dataclass
class Round:
    """One measured change: wall-clock times (``time.time()``) and the new container."""

    triggered: float
    seen: float
    container: str
    stack: str
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    started: float | None = None


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def docker_started(url: str, container: str) -> float | None:
    """``State.StartedAt`` of ``container`` (seconds since the epoch), None when it is gone."""
    client = docker.DockerClient(base_url=url)
    try:
        raw = str(client.api.inspect_container(container)["State"]["StartedAt"])
    except docker.errors.NotFound:
        return None
    finally:
        client.close()
    stamp, _, fraction = raw.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{stamp}.{(fraction + '000000')[:6]}+00:00").timestamp()


def _flow_runs(api: str, after: float) -> list[dict[str, Any]]:
    since = datetime.fromtimestamp(after - 1).astimezone().isoformat()
    body = {"flow_runs": {"start_time": {"after_": since}}, "sort": "START_TIME_ASC", "limit": 200}
    answer = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30)
    answer.raise_for_status()
    runs: list[dict[str, Any]] = answer.json()
    return runs


def _timings(api: str, flow_run_id: str) -> dict[str, float]:
    """The deploy artifact's ``Timings: prepare 0.12 s, config 0.08 s, ...`` line as a dict."""
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 20}
    answer = httpx.post(f"{api}/artifacts/filter", json=body, timeout=30)
    answer.raise_for_status()
    for artifact in answer.json():
        if found := _TIMINGS.search(str(artifact.get("data", ""))):
            pairs = (p.strip().removesuffix(" s").rsplit(" ", 1) for p in found.group(1).split(","))
            return {name: float(value) for name, value in pairs}
    return {}


def _kind(run: dict[str, Any]) -> str:
    name = str(run.get("name", ""))
    return name.split(" ", 1)[0]


def collect(api: str, docker_url: str, rounds: list[Round], kinds: tuple[str, ...]) -> None:
    """Fill each round's runs (first of each kind started after its trigger), stages and container start."""
    runs = _flow_runs(api, min(r.triggered for r in rounds))
    for i, one in enumerate(rounds):
        until = rounds[i + 1].triggered if i + 1 < len(rounds) else float("inf")
        for run in runs:
            start = _epoch(run.get("start_time"))
            kind = _kind(run)
            if start is None or kind not in kinds or kind in one.runs:
                continue
            ours = kind != "deploy" or str(run["name"]).startswith(f"deploy {one.stack} @")
            if ours and one.triggered - 0.5 <= start < until:
                one.runs[kind] = run
        if "deploy" in one.runs:
            one.stages = _timings(api, str(one.runs["deploy"]["id"]))
        if one.started is None:
            one.started = docker_started(docker_url, one.container)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def phase_rows(rounds: list[Round], first: str, label: str) -> list[dict[str, object]]:
    """The median of each phase as benchmark rows; ``first`` is the kind of run the trigger starts."""
    chain = [first, *(k for k in ("sync", "deploy") if k != first)]
    names = {"poll": "poll-repo", "sync": "sync-resources", "deploy": "deploy-stack"}
    phases: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            phases.setdefault(name, []).append(value)

    for r in rounds:
        starts = [_epoch(r.runs[k].get("start_time")) if k in r.runs else None for k in chain]
        marks: list[tuple[str, float | None]] = [("trigger", r.triggered)]
        marks += [(f"{names[k]} running", s) for k, s in zip(chain, starts, strict=True)]
        marks += [("container started", r.started), ("seen running", r.seen)]
        known = [(n, t) for n, t in marks if t is not None]
        for (a, ta), (b, tb) in itertools.pairwise(known):
            add(f"{a} -> {b}", tb - ta)
        deploy = r.runs.get("deploy", {})
        add("container started -> deploy-stack done", _gap(r.started, _epoch(deploy.get("end_time"))))
        first_run = r.runs.get(first, {})
        add(f"deploy-stack done -> {names[first]} done",
            _gap(_epoch(deploy.get("end_time")), _epoch(first_run.get("end_time"))))  # fmt: skip
        for stage, seconds in r.stages.items():
            add(f"  deploy stage: {stage}", seconds)
    rows = []
    for name, values in phases.items():
        note = f"median of {len(values)}; min {min(values):.3f} max {max(values):.3f}"
        rows.append({"benchmark": f"{label} phase: {name}", "value": f"{_median(values):.3f}", "unit": "s",
                     "note": note})  # fmt: skip
    return rows


def _gap(a: float | None, b: float | None) -> float | None:
    return b - a if a is not None and b is not None else None
