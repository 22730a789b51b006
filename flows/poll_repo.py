"""``poll-repo``: has the tracked branch moved? Then sync exactly what the new commit changed.

Stacks with ``files_on_host`` are compared on their hosts on every poll, new commit or not.
Stacks whose files live in another repository are compared when that repository moved,
new commit in the synced one or not: each distinct (URL, branch) is fetched once per poll.
A poll a verified push started (``webhook``) deploys stacks with ``webhook_force_deploy``
even when unchanged, new commit or not; a scheduled poll never does.

One fetch and one cursor read when nothing moved. The cursor advances only
after the sync succeeded, so a failed sync is retried by the next poll.
Scheduled every 5 minutes per resource sync with concurrency 1 (a new
scheduled run is cancelled while one is in flight), or triggered by a push
webhook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from fleetflow.git import poll, redact_url
from fleetflow.runtime import context
from fleetflow.runtime.push_force import any_forced
from fleetflow.runtime.secrets import secret_resolver
from fleetflow.runtime.stack_repo_poll import advance_cursors, moved_stack_repos
from fleetflow.store.models import ResourceRecord
from flows.sync_resources import FanOut, sync_resources


def stacks_with_files_on_host(records: Sequence[ResourceRecord]) -> list[str]:
    """Applied stacks whose compose files live on their host: a poll compares them even without a commit."""
    return sorted(r.name for r in records if (r.config.get("config") or {}).get("files_on_host"))


def _run_name() -> str:
    p = flow_run.parameters
    return f"poll {p.get('sync_name') or redact_url(str(p.get('repo', '')))}"


@flow(name="poll-repo", flow_run_name=_run_name)
async def poll_repo(
    repo: str,
    branch: str = "main",
    resource_paths: list[str] | None = None,
    sync_name: str = "",
    fan_out: FanOut = "inline",
    webhook: bool = False,
) -> dict[str, Any]:
    """Fetch ``branch`` of ``repo``; when it moved, run ``sync-resources`` for the new commit
    (``webhook``: a verified push started this poll)."""
    store = context.store()
    key = redact_url(repo)

    def cursor_get() -> str | None:
        cursor = store.get_repo_cursor(key, branch)
        return cursor.commit if cursor is not None else None

    def cursor_set(commit: str) -> None:
        store.set_repo_cursor(key, branch, commit)

    found = poll(context.repo_cache(), repo, branch, cursor_get, cursor_set, advance=False)
    if not found.changed or found.new_commit is None:
        get_run_logger().info("%s %s: no new commit (%s)", key, branch, (found.old or "")[:12])
        applied = store.list_resources("stack")
        on_host = stacks_with_files_on_host(applied)
        forcing = webhook and any_forced([r.config for r in applied])
        heads, moved = moved_stack_repos(
            store, context.repo_cache(), secret_resolver(), context.settings().git_url_rewrite
        )
        if not (on_host or moved or forcing) or not found.old:
            return {"changed": False, "commit": found.old}
        if on_host:
            get_run_logger().info("files on host of %s: compared on their hosts", ", ".join(on_host))
        for moved_key in moved:
            get_run_logger().info(
                "stack repository %s moved to %s", redact_url(moved_key), heads[moved_key][:12]
            )
        result = await sync_resources(
            repo=repo, branch=branch, commit=found.old, resource_paths=resource_paths,
            sync_name=sync_name, fan_out=fan_out, changed_paths=[], source_commits=heads or None,
            webhook=webhook,
        )  # fmt: skip
        advance_cursors(store, result.get("sources") or {})
        return {"changed": False, "commit": found.old, "sync": result}
    get_run_logger().info(
        "%s %s: %s -> %s, %s path(s) changed%s",
        key, branch, (found.old or "none")[:12], found.new_commit[:12],
        "all" if found.changed_paths is None else len(found.changed_paths),
        " (force-push)" if found.force_pushed else "",
    )  # fmt: skip
    result = await sync_resources(
        repo=repo,
        branch=branch,
        commit=found.new_commit,
        resource_paths=resource_paths,
        sync_name=sync_name,
        fan_out=fan_out,
        changed_paths=found.changed_paths,
        webhook=webhook,
    )
    advance_cursors(store, result.get("sources") or {})
    cursor_set(found.new_commit)
    return {"changed": True, "commit": found.new_commit, "sync": result}
