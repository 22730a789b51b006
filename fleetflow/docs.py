"""The configuration reference, generated from the pydantic models: every field, type, default, meaning.

A field's meaning is its ``Field(description=...)``, else an entry of ``MEANINGS``
below (the resource models mirror Komodo's names and carry few descriptions). A
field with neither makes ``render_config_reference`` raise, so a field added
without docs fails the reference test. Regenerate with::

    python -m fleetflow.docs > docs/configuration.md
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import annotated_types as at
from pydantic import AliasChoices, BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from fleetflow.backup.config import BackupSettings
from fleetflow.errors import ConfigError
from fleetflow.resources import (
    RepoConfig,
    ResourceSyncConfig,
    ServerConfig,
    Stack,
    StackConfig,
    VariableEntry,
)
from fleetflow.resources.fields import parse_environment, split_list
from fleetflow.resources.komodo import CONFIG_RULES, ENTRY, VARIABLE, Rule, Treatment
from fleetflow.settings import Settings

COMMON = {
    "repo": "Inline git repository (URL or local path), instead of `linked_repo`.",
    "linked_repo": "Name of a `[[repo]]` entry whose repository holds the files.",
    "branch": "Branch to follow.",
    "commit": "Pin to this commit; empty follows the branch head.",
    "git_provider": "Git host for a short `owner/name` repository.",
    "git_https": "Clone a short repository name over HTTPS (false: plain HTTP), as Komodo does.",
    "git_account": "Account at `git_provider` whose token (the secret `GIT_<PROVIDER>_<ACCOUNT>`, "
    "outside git) authenticates the fetch; never the credential itself.",
    "webhook_enabled": "A push webhook for this resource starts a run.",
    "webhook_secret": "Reference to the webhook secret; the value lives outside git.",
    "files_on_host": "The files are already on the host; nothing is read from git.",
    "file_contents": "Inline file contents instead of files from a repository.",
    "links": "Links shown with the resource.",
    "clone_path": "Checkout path override on the host.",
    "env_file_path": "Env file written (mode 0600) in the run directory for compose.",
    "environment": "Environment, in any form Komodo reads: `KEY=VALUE`, `KEY: VALUE`, `- KEY=VALUE` lines "
    "(quotes, `export`, `#` and `//` comments), an array of such strings, or "
    '`[{ variable = "K", value = "V" }]`; `[[NAME]]` is replaced by a variable or secret.',
    "skip_secret_interp": "Leave `[[NAME]]` references as written.",
    "description": "Free text shown in tables.",
    "tags": "Tags; a sync with `match_tags` applies only entries carrying all of them.",
}

MEANINGS = {
    "Stack.name": "Unique name within its kind.",
    "Stack.template": "A template entry is validated but never deployed.",
    "Stack.deploy": "Stacks: absent, a changed stack deploys; `false` written out: the config is applied "
    "but the stack is never deployed by a sync (the plan says `not deployed: deploy = false`).",
    "Stack.after": "Stacks: names of stacks deployed (in an earlier round) before this one.",
    "ServerConfig.external_address": "Address shown for the host (not used to connect).",
    "ServerConfig.region": "Region label shown in tables.",
    "ServerConfig.enabled": "A disabled server is skipped by deploys and health checks.",
    "ServerConfig.ignore_mounts": "Mount points left out of disk checks.",
    "ServerConfig.auto_prune": "Prune dangling images daily.",
    "ServerConfig.stats_monitoring": "Collect host facts (CPU, memory, disk) in health checks.",
    "ServerConfig.send_unreachable_alerts": "Alert when the host cannot be reached.",
    "ServerConfig.send_cpu_alerts": "Alert when CPU use crosses `cpu_warning` / `cpu_critical`.",
    "ServerConfig.send_mem_alerts": "Alert when memory use crosses `mem_warning` / `mem_critical`.",
    "ServerConfig.send_disk_alerts": "Alert when a disk crosses `disk_warning` / `disk_critical`.",
    "ServerConfig.send_version_mismatch_alerts": "Alert when the host's agent and core versions differ.",
    "ServerConfig.cpu_warning": "CPU use (%) that raises a warning.",
    "ServerConfig.cpu_critical": "CPU use (%) that raises a critical alert.",
    "ServerConfig.mem_warning": "Memory use (%) that raises a warning.",
    "ServerConfig.mem_critical": "Memory use (%) that raises a critical alert.",
    "ServerConfig.disk_warning": "Use (%) of the fullest disk that raises a warning.",
    "ServerConfig.disk_critical": "Use (%) of the fullest disk that raises a critical alert.",
    "ServerConfig.maintenance_windows": "Windows in which this server's alerts are muted.",
    "MaintenanceWindow.name": "Window name, shown when an alert is muted.",
    "MaintenanceWindow.schedule_type": "`Daily`, `Weekly` or `OneTime`.",
    "MaintenanceWindow.day_of_week": "Day of a `Weekly` window (e.g. `Monday`).",
    "MaintenanceWindow.date": "Date of a `OneTime` window (`YYYY-MM-DD`).",
    "MaintenanceWindow.hour": "Start hour.",
    "MaintenanceWindow.minute": "Start minute.",
    "MaintenanceWindow.duration_minutes": "Length of the window.",
    "MaintenanceWindow.timezone": "IANA time zone of the start time; empty means UTC.",
    "StackConfig.server": "The `[[server]]` the stack runs on (required).",
    "StackConfig.project_name": "Compose project name; empty means the stack name.",
    "StackConfig.reclone": "Wipe the stack directory on the host before writing its files.",
    "StackConfig.run_directory": "Directory of the compose files, relative to the repository root.",
    "StackConfig.file_paths": "Compose files in the run directory; empty means the first of compose.yaml, "
    "compose.yml, docker-compose.yaml, docker-compose.yml.",
    "StackConfig.additional_env_files": "More env files for compose; a tracked one redeploys on change.",
    "StackConfig.poll_for_updates": "Check the stack on every poll: git inputs and newer image digests.",
    "StackConfig.auto_update": "Deploy detected changes; false reports them as pending and alerts.",
    "StackConfig.auto_update_all_services": "On a newer image, redeploy every service, not only that one.",
    "StackConfig.auto_update_skip_services": "Services whose newer images never redeploy automatically.",
    "StackConfig.auto_pull": "`compose pull` before `up`.",
    "StackConfig.run_build": "`compose build` before `up`.",
    "StackConfig.destroy_before_deploy": "`compose down` before every deploy.",
    "StackConfig.webhook_enabled": "Stacks have no webhook of their own (pushes go to the resource sync's); "
    "`false` written out: a push never force-deploys this stack (see `webhook_force_deploy`).",
    "StackConfig.webhook_force_deploy": "A verified push webhook of the synced repository deploys this stack "
    "even when its inputs did not change (reason `webhook_force_deploy`); false: a push deploys it only when "
    "changed. A scheduled poll never forces it; a stack with files from another repository is not forced.",
    "StackConfig.pre_deploy": "Command run before `compose up`.",
    "StackConfig.post_deploy": "Command run after a successful deploy.",
    "StackConfig.extra_args": "Arguments appended to `compose up`; `[[NAME]]` is interpolated.",
    "StackConfig.build_extra_args": "Arguments appended to `compose build`.",
    "StackConfig.ignore_services": "Services not checked for health after a deploy.",
    "StackConfig.config_files": "Extra tracked input files, and what a change to each requires.",
    "StackConfig.send_alerts": "Alert on this stack's failed deploys, drift and pending updates.",
    "StackConfig.registry_provider": "Registry host for authenticated pulls.",
    "StackConfig.registry_account": "User at `registry_provider`; its token is the secret "
    "`REGISTRY_<PROVIDER>_<ACCOUNT>` (outside git), given to that deploy's pull and up only.",
    "StackConfig.compose_cmd_wrapper": "Shell command run in place of compose commands, "
    "`[[COMPOSE_COMMAND]]` replaced by them (e.g. `sops exec-env .env '[[COMPOSE_COMMAND]]'`).",
    "StackConfig.compose_cmd_wrapper_include": "Subcommands wrapped (config, build, pull, up); empty: up.",
    "StackConfig.repo": "Another repository holding the stack's files: `owner/name` (cloned from "
    "`https://<git_provider>/owner/name.git`, as Komodo builds it), a full URL or a local path; fetched "
    "into the repository cache once per poll, its new commits redeploy the stacks whose inputs changed.",
    "StackConfig.linked_repo": "A `[[repo]]` whose repo/branch/commit/git_provider/git_https/git_account "
    "give the stack's files; the name of the synced repository means the synced repository.",
    "StackConfig.branch": "Branch of the stack's own repository (with `repo`).",
    "StackConfig.commit": "Pin the stack's own repository to this commit hash (Komodo clones the branch, "
    "then resets to it); empty follows the branch head.",
    "StackConfig.files_on_host": "Compose files are on the host at `run_directory` (absolute, or under the "
    "stacks root); read and fingerprinted there, never written.",
    "StackConfig.file_contents": "Inline compose file (no repository).",
    "DeployCommand.path": "Directory to run in, relative to the run directory.",
    "DeployCommand.command": "Command line; `[[NAME]]` is interpolated; empty means none.",
    "DeployCommand.shell_mode": "Run through `sh -c` (false: split into arguments).",
    "EnvFileRef.path": "Env file, relative to the run directory.",
    "EnvFileRef.track": "A change to the file redeploys the stack.",
    "ConfigFile.path": "File, relative to the run directory.",
    "ConfigFile.services": "Services the file affects; empty means all.",
    "ConfigFile.requires": "What a change requires.",
    "ResourceSyncConfig.resource_path": "Resource files or folders, relative to the repository root.",
    "ResourceSyncConfig.managed": "Edits made outside git are not written back; implies `delete`.",
    "ResourceSyncConfig.delete": "Resources missing from the files are deleted (stacks destroyed).",
    "ResourceSyncConfig.include_resources": "Apply servers, stacks, repos and syncs.",
    "ResourceSyncConfig.include_variables": "Apply `[[variable]]` entries.",
    "ResourceSyncConfig.include_user_groups": "Komodo's user groups: ignored.",
    "ResourceSyncConfig.match_tags": "Only resources carrying all of these tags.",
    "ResourceSyncConfig.pending_alert": "Alert while changes wait (`auto_update` off).",
    "VariableEntry.name": "Referenced as `[[name]]`: letters, digits, `_`, `.` and `-`.",
    "VariableEntry.value": "The value; keep secrets out of git (Prefect Secret, environment, secrets file).",
    "VariableEntry.is_secret": "Masked in every log, artifact, plan and the state DB.",
}

_RULES_OF = {
    "ServerConfig": CONFIG_RULES["server"],
    "StackConfig": CONFIG_RULES["stack"],
    "ResourceSyncConfig": CONFIG_RULES["resource_sync"],
    "RepoConfig": CONFIG_RULES["repo"],
}
"""Config models whose fields are Komodo's, and the table saying what fleetflow does with each."""


def _rule_note(rule: Rule) -> str:
    if rule.treatment is Treatment.IGNORED:
        return f"Komodo field, ignored (a warning when set): {rule.why}."
    return f"Komodo field, refused (an error when set): {rule.why}."


@dataclass(frozen=True)
class Section:
    """One table of the reference: a heading, a model and a sentence about where it is written."""

    title: str
    model: type[BaseModel]
    intro: str
    exclude: frozenset[str] = frozenset()


SECTIONS = (
    Section("Settings", Settings, "Environment variables (or `.env`) of core and agents; never in git."),
    Section("Backup settings", BackupSettings, "Environment variables of the `backup-snapshot` flow."),
    Section(
        "Every resource entry",
        Stack,
        "Keys of every `[[server]]`, `[[stack]]`, `[[resource_sync]]` and `[[repo]]` entry, "
        "around its `config` table.",
        frozenset({"config"}),
    ),
    Section("`[[server]]` config", ServerConfig, "A Docker host: how it is reached, when it alerts."),
    Section("`[[stack]]` config", StackConfig, "A compose project on one server."),
    Section("`[[resource_sync]]` config", ResourceSyncConfig, "A repository of resource files kept applied."),
    Section("`[[repo]]` config", RepoConfig, "A git repository other entries link to by name."),
    Section("`[[variable]]`", VariableEntry, "A value referenced as `[[name]]`; no `config` table."),
)


def meaning(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    """What a field means: its description, else ``MEANINGS``, else a shared or Komodo-unused note."""
    rule = _RULES_OF.get(model.__name__, {}).get(name)
    if rule is not None and rule.treatment is not Treatment.HONORED:
        return _rule_note(rule)
    if info.description:
        return info.description
    key = f"{model.__name__}.{name}"
    if key in MEANINGS:
        return MEANINGS[key]
    return COMMON.get(name, "")


def type_name(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A reader's name for a field type, with its lenient input forms and bounds."""
    validators = {getattr(m, "func", None) for m in metadata or []}
    if split_list in validators:
        return "list of strings (or one string split on commas/newlines)"
    if parse_environment in validators:
        return "environment (`KEY=VALUE` / `KEY: VALUE` lines, array or table)"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        text = " or ".join(type_name(a) for a in args if a is not type(None))
        return f"{text} (optional)" if type(None) in args else text
    if origin in (list, tuple):
        return f"list of {type_name(args[0])}s" if args else "list"
    if origin is dict:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}` table"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    text = "secret string" if annotation is SecretStr else names.get(annotation, str(annotation))
    bounds = [_bound(m) for m in metadata or []]
    return ", ".join([text, *(b for b in bounds if b)])


def _bound(item: Any) -> str:
    for kind, attr, sign in ((at.Ge, "ge", "≥"), (at.Gt, "gt", ">"), (at.Le, "le", "≤"), (at.Lt, "lt", "<")):
        if isinstance(item, kind):
            return f"{sign} {getattr(item, attr)}"
    return ""


def default_text(info: FieldInfo) -> str:
    """The default as written in TOML or the environment (machine-independent)."""
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return "empty"
    if isinstance(value, Path) and value.is_relative_to(Path.home()):
        return f"`~/{value.relative_to(Path.home())}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _nested(model: type[BaseModel], exclude: frozenset[str]) -> Iterator[type[BaseModel]]:
    for name, info in model.model_fields.items():
        for arg in (info.annotation, *get_args(info.annotation)):
            if name not in exclude and isinstance(arg, type) and issubclass(arg, BaseModel):
                yield arg


def _table(model: type[BaseModel], exclude: frozenset[str], missing: list[str]) -> list[str]:
    prefix = model.model_config.get("env_prefix")
    head = ["field", *(["environment"] if prefix is not None else []), "type", "default", "meaning"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        text = meaning(model, name, info)
        if not text:
            missing.append(f"{model.__name__}.{name}")
        alias = info.validation_alias
        others = [a for a in alias.choices if a != name] if isinstance(alias, AliasChoices) else []
        label = f"`{name}`" + "".join(f" (alias `{a}`)" for a in others)
        env = [f"`{prefix}{name.upper()}`"] if prefix is not None else []
        cells = [label, *env, type_name(info.annotation, info.metadata), default_text(info), text]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def render_config_reference() -> str:
    """The Markdown reference of every configuration model; ConfigError names undocumented fields."""
    missing: list[str] = []
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from the pydantic models by `python -m fleetflow.docs > docs/configuration.md`;"
        " do not edit. -->",
        "",
        "Every field fleetflow reads, its type, default and meaning. Settings come from the environment; "
        "resource entries from the TOML files in git (Komodo's resource-sync format).",
    ]
    for section in SECTIONS:
        out += ["", f"## {section.title}", "", section.intro, ""]
        out += _table(section.model, section.exclude, missing)
        for sub in dict.fromkeys(_nested(section.model, section.exclude)):
            doc = (sub.__doc__ or "").strip().splitlines()[0].replace("``", "`")
            out += ["", f"### `{sub.__name__}` table", "", doc, ""]
            out += _table(sub, frozenset(), missing)
    out += komodo_fields()
    if missing:
        raise ConfigError(
            f"configuration fields without documentation: {', '.join(missing)}",
            hint="give each a Field(description=...) or an entry in MEANINGS in fleetflow/docs.py",
        )
    return "\n".join(out) + "\n"


def komodo_fields() -> list[str]:
    """The Komodo treatment table: every field of each kind, honored, ignored (why) or refused (why)."""
    out = [
        "",
        "## Komodo fields",
        "",
        "Every field of Komodo's resource-sync format for the kinds fleetflow manages, and what fleetflow "
        "does with it: **honored** (carried out), **ignored** (accepted; a warning names each one set, "
        "with the reason) or **refused** (an error names each entry that sets it). Kinds fleetflow does "
        "not manage (`[[deployment]]`, `[[build]]`, `[[builder]]`, `[[procedure]]`, `[[action]]`, "
        "`[[alerter]]`, `[[user_group]]`, `[[swarm]]`, `[[server_template]]`) load with one warning per "
        "kind; `after` naming one of them is a warning.",
        "",
        "| kind | field | treatment | why |",
        "|---|---|---|---|",
    ]
    tables = [("every entry", ENTRY), *((f"`[[{k}]]` config", r) for k, r in CONFIG_RULES.items())]
    tables.append(("`[[variable]]`", VARIABLE))
    for kind, rules in tables:
        for name, rule in rules.items():
            out.append(f"| {kind} | `{name}` | {rule.treatment.value} | {_cell(rule.why)} |")
    return out


if __name__ == "__main__":
    print(render_config_reference(), end="")
