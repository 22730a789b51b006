"""What people read in the Prefect UI and the CLI: deploy summaries and sync outcome rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fleetflow.deploy import DeployResult
from fleetflow.store import StateStore


def short_commit(commit: str) -> str:
    """Seven characters of a commit (a working tree's digest without its prefix)."""
    return commit.removeprefix("worktree-")[:7]


def deploy_markdown(result: DeployResult) -> str:
    """A deploy's summary: status, reason, services, phase timings, masked output tail."""
    lines = [
        f"## {result.stack} @ {result.host}: **{result.status.value}**",
        "",
        f"- commit `{result.commit[:12]}`, fingerprint `{result.fingerprint[:12]}`",
        f"- reason: {result.reason}",
    ]
    if result.rolled_back_to:
        lines.append(f"- rolled back to `{result.rolled_back_to[:12]}`")
    if result.services:
        lines += ["", "| service | state | health | container |", "|---|---|---|---|"]
        lines += [
            f"| {s.service} | {s.state} | {s.health or '-'} | `{s.container_id[:12]}` |"
            for s in result.services
        ]
    if result.durations:
        timings = ", ".join(f"{k} {v:.2f} s" for k, v in result.durations.items())
        lines += ["", f"Timings: {timings}"]
    if result.output_tail:
        lines += ["", "```", *result.output_tail[-30:], "```"]
    return "\n".join(lines)


def outcome_rows(outcomes: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """One table row per stack outcome of a sync (for the table artifact and the CLI)."""
    return [
        {
            "stack": name,
            "server": str(o.get("host", "")),
            "status": str(o.get("status", "")),
            "commit": short_commit(str(o.get("commit", "")))
            + (f" of {o['repo']}" if o.get("repo") else ""),  # a stack's own repository
            "reason": str(o.get("reason", ""))[:160],
        }
        for name, o in sorted(outcomes.items())
    ]


def warnings_markdown(warnings: Sequence[str]) -> str:
    """The resource-file warnings of a sync (unmanaged kinds, ignored fields, likely typos)."""
    return errors_markdown(f"{len(warnings)} warning(s) in resource files", warnings)


def errors_markdown(title: str, errors: Sequence[str]) -> str:
    """A bullet list of problems (resource errors: file, line, field, what to do)."""
    return "\n".join([f"## {title}", "", *(f"- {e}" for e in errors)])


def _server_of(store: StateStore, stack: str) -> str:
    record = store.get_resource("stack", stack)
    config = record.config.get("config", {}) if record is not None else {}
    return str(config.get("server", "")) if isinstance(config, dict) else ""


def sync_result_from_store(repo: str) -> dict[str, Any]:
    """The newest sync run of ``repo`` as recorded (for a failed run whose result was not returned)."""
    from fleetflow.git import redact_url
    from fleetflow.runtime import context

    store = context.store()
    runs = store.sync_runs(redact_url(repo), limit=1)
    if not runs:
        return {"plan": [], "stacks": {}}
    run = runs[0]
    stacks: dict[str, dict[str, Any]] = {}
    for name, status in run.stacks.items():
        history = store.deploy_history(name, limit=1)
        last = history[0] if history else None
        reason = last.summary if last is not None and last.commit == run.commit else ""
        server = last.server if last is not None else _server_of(store, name)
        stacks[name] = {"status": status, "host": server, "commit": run.commit, "reason": reason}
    return {"commit": run.commit, "plan": run.plan, "stacks": stacks}
