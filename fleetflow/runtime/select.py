"""Which stacks a sync considers deploying, and why.

With the paths a commit changed (from the poll), only stacks whose inputs,
config or variables changed are considered, plus any stack never deployed
good; the deploy fingerprint then makes the final call on the host. Without
them (first sync, reconcile, force-push, ``force``) every enabled stack is.
A stack whose files live in another repository is compared on that
repository: the paths changed between the commit of its last good deploy and
the commit opened now (``snapshot.for_stack``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fleetflow.changes import detect_changes
from fleetflow.resources import Desired, state_of
from fleetflow.runtime.snapshot import RepoSnapshot
from fleetflow.runtime.specs import stack_inputs
from fleetflow.store import DeployRecord, ResourceRecord, StateStore


def deployable(desired: Desired) -> list[str]:
    """Stacks that are not templates and whose server exists and is enabled."""
    servers = desired.resources.servers
    return sorted(
        name
        for name, stack in desired.stacks.items()
        if not stack.template
        and stack.config.server in servers
        and servers[stack.config.server].config.enabled
    )


def _fingerprints(states: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {name: json.dumps(state, sort_keys=True, default=str) for name, state in states.items()}


def changed_stacks(
    desired: Desired,
    snapshot: RepoSnapshot,
    current: Mapping[str, Mapping[str, ResourceRecord]],
    changed_paths: Sequence[str] | None,
    names: Sequence[str],
) -> dict[str, list[str]]:
    """``{stack: reasons}`` for the stacks among ``names`` whose inputs changed."""
    inputs = [stack_inputs(desired.stacks[n], snapshot, desired)[1] for n in names]
    old_vars = _fingerprints({n: r.config for n, r in current.get("variable", {}).items()})
    new_vars = _fingerprints({n: state_of(v) for n, v in desired.resources.variables.items()})
    old_cfg = {n: dict(r.config.get("config", {})) for n, r in current.get("stack", {}).items()}
    new_cfg = {n: dict(state_of(desired.resources.stacks[n]).get("config", {})) for n in names}
    return detect_changes(
        inputs,
        changed_paths,
        old_variables=old_vars,
        new_variables=new_vars,
        old_configs=old_cfg,
        new_configs=new_cfg,
    )


def _other_repo_groups(
    snapshot: RepoSnapshot, names: Sequence[str], last_good: Mapping[str, DeployRecord]
) -> list[tuple[list[str], list[str] | None]]:
    """(stacks, paths changed in their repository since their last good deploy) for the stacks from
    other repositories, grouped by (repository snapshot, last good commit); ``None`` = compare all."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for name in names:
        own = snapshot.for_stack(name)
        if own is not snapshot:
            old = last_good[name].commit if name in last_good else ""
            groups.setdefault((own.repo, own.commit, old), []).append(name)
    out: list[tuple[list[str], list[str] | None]] = []
    for (_, _, old), group in groups.items():
        own = snapshot.for_stack(group[0])
        if own.cached is None or not old:
            out.append((group, None))
        elif old == own.commit:
            out.append((group, []))
        else:
            out.append((group, own.cached.changed_paths(old, own.commit)))
    return out


def stacks_to_consider(
    desired: Desired,
    snapshot: RepoSnapshot,
    store: StateStore,
    current: Mapping[str, Mapping[str, ResourceRecord]],
    changed_paths: Sequence[str] | None,
    *,
    force: bool = False,
) -> dict[str, list[str]]:
    """``{stack: reasons}`` of the stacks to hand to deploy-stack."""
    names = deployable(desired)
    if force or changed_paths is None:
        why = "forced" if force else "full comparison (no change list)"
        return {n: [why] for n in names}
    last_good = store.last_good_deploys()
    own = [n for n in names if snapshot.for_stack(n) is snapshot]
    reasons = changed_stacks(desired, snapshot, current, changed_paths, own)
    for group, paths in _other_repo_groups(snapshot, names, last_good):
        for name, found in changed_stacks(desired, snapshot, current, paths, group).items():
            reasons.setdefault(name, []).extend(found)
    for name in names:
        if name not in last_good:
            reasons.setdefault(name, []).append("never deployed good")
        if desired.stacks[name].config.files_on_host:
            reasons.setdefault(name, []).append("files on host: compared on the host")
    return {n: r for n, r in reasons.items() if n in names}
