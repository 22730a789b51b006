"""Every Komodo field of the kinds fleetflow manages, and what fleetflow does with it.

One table drives three things: the loader accepts exactly these fields,
``validate`` warns once per field that is set but ignored and refuses the
refused ones, and ``fleetflow.docs`` renders it into docs/configuration.md.
The rule: a field fleetflow accepts is carried out, or refused aloud; never
parsed and silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Treatment(StrEnum):
    """What fleetflow does with a Komodo field."""

    HONORED = "honored"
    IGNORED = "ignored"  # accepted; a warning says so when it is set
    REFUSED = "refused"  # an error when it is set


@dataclass(frozen=True)
class Rule:
    """A field's treatment and, unless honored, why."""

    treatment: Treatment
    why: str = ""


H = Rule(Treatment.HONORED)


def ignored(why: str) -> Rule:
    return Rule(Treatment.IGNORED, why)


def refused(why: str) -> Rule:
    return Rule(Treatment.REFUSED, why)


_NO_PAGES = "fleetflow has no resource pages to show links on"
_REPO_SOURCE = (
    "fleetflow uses a [[repo]] only as the git source of stacks and syncs; it never clones one onto a server"
)
_SWARM = "Docker Swarm stacks are not supported: fleetflow deploys compose projects on single hosts"

ENTRY: dict[str, Rule] = {
    "name": H,
    "description": H,
    "tags": H,
    "template": H,
    "deploy": H,
    "after": H,
}

STACK: dict[str, Rule] = {
    "server": H,
    "server_id": H,
    "swarm": refused(_SWARM),
    "swarm_id": refused(_SWARM),
    "project_name": H,
    "links": ignored(_NO_PAGES),
    "auto_pull": H,
    "run_build": H,
    "poll_for_updates": H,
    "auto_update": H,
    "auto_update_all_services": ignored(
        "a newer image redeploys the stack with `compose up`, which recreates only the services it changes"
    ),
    "auto_update_skip_services": H,
    "destroy_before_deploy": H,
    "skip_secret_interp": H,
    "linked_repo": H,
    "git_provider": H,
    "git_https": H,
    "git_account": H,
    "repo": H,
    "branch": H,
    "commit": H,
    "clone_path": ignored("fleetflow writes each stack under its stacks root (FLEETFLOW_STACKS_ROOT)"),
    "reclone": H,
    "webhook_enabled": H,
    "webhook_secret": H,
    "webhook_force_deploy": H,
    "files_on_host": H,
    "run_directory": H,
    "file_paths": H,
    "env_file_path": H,
    "additional_env_files": H,
    "config_files": H,
    "send_alerts": ignored("stack alerts follow fleetflow's alert rules, not a per-stack switch"),
    "registry_provider": H,
    "registry_account": H,
    "pre_deploy": H,
    "post_deploy": H,
    "extra_args": H,
    "build_extra_args": H,
    "compose_cmd_wrapper": H,
    "compose_cmd_wrapper_include": H,
    "ignore_services": H,
    "file_contents": H,
    "environment": H,
}

SERVER: dict[str, Rule] = {
    "address": H,
    "insecure_tls": ignored("fleetflow reaches hosts through Prefect agents or SSH, not periphery TLS"),
    "external_address": H,
    "region": H,
    "enabled": H,
    "auto_rotate_keys": ignored("fleetflow has no periphery keys to rotate"),
    "passkey": ignored("agents authenticate to Prefect; Komodo's periphery passkey is not used"),
    "ignore_mounts": H,
    "auto_prune": ignored("fleetflow does not prune images"),
    "links": ignored(_NO_PAGES),
    "stats_monitoring": H,
    "send_unreachable_alerts": H,
    "send_cpu_alerts": H,
    "send_mem_alerts": H,
    "send_disk_alerts": H,
    "send_version_mismatch_alerts": ignored("there is no periphery version to compare"),
    "cpu_warning": H,
    "cpu_critical": H,
    "mem_warning": H,
    "mem_critical": H,
    "disk_warning": H,
    "disk_critical": H,
    "maintenance_windows": H,
}

RESOURCE_SYNC: dict[str, Rule] = {
    "linked_repo": H,
    "git_provider": H,
    "git_https": H,
    "repo": H,
    "branch": H,
    "commit": H,
    "git_account": ignored(
        "the synced repository is fetched from the URL `serve` or `reconcile` is given: put a token in it "
        "(https://user:TOKEN@host/owner/name.git) or use an SSH deploy key"
    ),
    "webhook_enabled": H,
    "webhook_secret": H,
    "files_on_host": ignored("fleetflow reads resource files from git"),
    "resource_path": H,
    "managed": H,
    "delete": H,
    "include_resources": ignored("fleetflow always applies the resources it manages"),
    "match_tags": H,
    "include_variables": ignored("fleetflow always reads [[variable]] entries"),
    "include_user_groups": ignored("fleetflow has no user groups (its API tokens carry roles)"),
    "pending_alert": ignored("pending changes alert per stack, when its auto_update is off"),
    "file_contents": ignored("fleetflow reads resource files from git"),
}

REPO: dict[str, Rule] = {
    "repo": H,
    "branch": H,
    "commit": H,
    "git_provider": H,
    "git_https": H,
    "git_account": H,
    **{
        name: ignored(_REPO_SOURCE)
        for name in (
            "server",
            "server_id",
            "builder",
            "builder_id",
            "path",
            "clone_path",
            "on_clone",
            "on_pull",
            "links",
            "environment",
            "env_file_path",
            "skip_secret_interp",
            "webhook_enabled",
            "webhook_secret",
        )
    },
}

VARIABLE: dict[str, Rule] = {"name": H, "description": H, "value": H, "is_secret": H, "tags": H}

CONFIG_RULES: dict[str, dict[str, Rule]] = {
    "server": SERVER,
    "stack": STACK,
    "resource_sync": RESOURCE_SYNC,
    "repo": REPO,
}
"""``config`` fields per kind."""
