"""Reference checks across a stack's compose files (as compose merges them).

Networks, named volumes, ``depends_on``, configs and secrets must be declared;
``env_file`` entries, config/secret files and bind sources inside the
repository must exist (a missing directory Docker creates is a warning).
Absolute paths, external networks and volumes, ports and container names are
collected as facts for the host and cross-stack checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fleetflow.changes.inputs import repo_path
from fleetflow.resources.sources import FileSource
from fleetflow.validate.composefile import ComposeFile
from fleetflow.validate.composefile import mapping as _mapping
from fleetflow.validate.facts import At, Port, StackFacts, published
from fleetflow.validate.findings import Severity
from fleetflow.validate.stackinput import StackInput


def _names(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else str(v.get("source", "")) for v in value if v is not None]
    return []


class ReferenceChecks:
    """The reference checks of :class:`~fleetflow.validate.compose.StackChecker`."""

    si: StackInput
    source: FileSource
    facts: StackFacts

    def add(
        self, check: str, severity: Severity, message: str, file: str, line: int | None, hint: str = ""
    ) -> None:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def references(self, files: list[ComposeFile]) -> None:
        declared: dict[str, set[str]] = {k: set() for k in ("networks", "volumes", "configs", "secrets")}
        services: set[str] = set()
        for f in files:
            for section, names in declared.items():
                names.update(str(k) for k in _mapping(f.data.get(section)))
            services.update(str(k) for k in _mapping(f.data.get("services")))
        declared["networks"].add("default")
        for f in files:
            self.top_level(f)
            for name, svc in _mapping(f.data.get("services")).items():
                if isinstance(svc, Mapping):
                    self.service(f, str(name), svc, declared, services)

    def top_level(self, f: ComposeFile) -> None:
        for section, facts in (
            ("networks", self.facts.external_networks),
            ("volumes", self.facts.external_volumes),
        ):
            for key, spec in _mapping(f.data.get(section)).items():
                spec = _mapping(spec)
                external = spec.get("external")
                if external in (True, "true") or isinstance(external, Mapping):  # {name: x}: old syntax
                    name = spec.get("name") or _mapping(external).get("name") or key
                    facts.append(At(str(name), f.shown, f.line(section, key)))
        for section in ("configs", "secrets"):
            for key, spec in _mapping(f.data.get(section)).items():
                ref = _mapping(spec).get("file")
                if isinstance(ref, str):
                    self.file_ref(f, ref, (section, key, "file"), section, "file", f"{section[:-1]} {key!r}")

    def file_ref(
        self,
        f: ComposeFile,
        ref: str,
        at: tuple[str | int, ...],
        check: str,
        label: str,
        owner: str,
        severity: Severity = Severity.ERROR,
        hint: str = "Commit the file or fix the path (relative to the compose file).",
    ) -> None:
        """A file the stack reads: inside the repository it must exist; absolute, on the host."""
        line = f.line(*at)
        if ref.startswith("/"):
            self.facts.host_paths.append(At(ref, f.shown, line))
            return
        target = repo_path(f.base, ref)
        if target is None or ref.startswith("~"):
            return  # outside the repository or in a home directory: only the host can tell
        if not self.exists(target):
            self.add(
                check,
                severity,
                f"{label} {ref!r} of {owner} does not exist (looked for {target or '.'} in the repository)",
                f.shown,
                line,
                hint,
            )

    def service(
        self,
        f: ComposeFile,
        name: str,
        svc: Mapping[str, Any],
        declared: Mapping[str, set[str]],
        services: set[str],
    ) -> None:
        at = ("services", name)
        for net in _names(svc.get("networks")):
            if net not in declared["networks"]:
                self.add(
                    "networks",
                    Severity.ERROR,
                    f"service {name!r} uses network {net!r}, which is not declared under top-level "
                    "`networks`",
                    f.shown,
                    f.line(*at, "networks"),
                    f"Declare it (networks: {{{net}: {{}}}}, or external: true for an existing one).",
                )
        for dep in _names(svc.get("depends_on")):
            if dep not in services:
                self.add(
                    "depends_on",
                    Severity.ERROR,
                    f"service {name!r} depends on {dep!r}, which is not a service of this stack",
                    f.shown,
                    f.line(*at, "depends_on"),
                    "Fix the name or add the service.",
                )
        for section in ("configs", "secrets"):
            for ref in _names(svc.get(section)):
                if ref not in declared[section]:
                    self.add(
                        section,
                        Severity.ERROR,
                        f"service {name!r} uses {section[:-1]} {ref!r}, which is not declared under "
                        f"top-level `{section}`",
                        f.shown,
                        f.line(*at, section),
                        f"Declare it under top-level `{section}`.",
                    )
        for i, env in enumerate(self.env_files(svc.get("env_file"))):
            path, required = env
            if required:
                self.file_ref(f, path, (*at, "env_file", i), "env_file", "env_file", f"service {name!r}")
        for i, vol in enumerate(svc.get("volumes") or [] if isinstance(svc.get("volumes"), list) else []):
            self.volume(f, name, vol, (*at, "volumes", i), declared["volumes"])
        if isinstance(svc.get("container_name"), str):
            self.facts.container_names.append(
                At(svc["container_name"], f.shown, f.line(*at, "container_name"))
            )
        ports = svc.get("ports")
        for i, entry in enumerate(ports if isinstance(ports, list) else []):
            for ip, port, proto in published(entry):
                self.facts.ports.append(Port(ip, port, proto, At(name, f.shown, f.line(*at, "ports", i))))

    @staticmethod
    def env_files(value: Any) -> Iterator[tuple[str, bool]]:
        items = value if isinstance(value, list) else [value] if value is not None else []
        for item in items:
            if isinstance(item, str):
                yield item, True
            elif isinstance(item, Mapping) and isinstance(item.get("path"), str):
                yield item["path"], item.get("required", True) not in (False, "false")

    def volume(
        self, f: ComposeFile, service: str, vol: Any, at: tuple[str | int, ...], named: set[str]
    ) -> None:
        kind, source, create = "", "", True
        if isinstance(vol, str):
            parts = vol.split(":")
            if len(parts) < 2:
                return  # anonymous volume
            source = parts[0]
            kind = "bind" if source.startswith((".", "/", "~")) or "/" in source else "volume"
        elif isinstance(vol, Mapping):
            kind, source = str(vol.get("type", "volume")), str(vol.get("source") or "")
            create = _mapping(vol.get("bind")).get("create_host_path", True) not in (False, "false")
        if not source:
            return
        if kind == "volume" and source not in named:
            self.add(
                "volumes",
                Severity.ERROR,
                f"service {service!r} mounts volume {source!r}, which is not declared under top-level "
                "`volumes`",
                f.shown,
                f.line(*at),
                f"Declare it (volumes: {{{source}: {{}}}}), or write ./{source} for a bind mount.",
            )
        elif kind == "bind" and (not create or _looks_like_file(source)):
            self.file_ref(f, source, at, "bind_source", "bind source", f"service {service!r}")
        elif kind == "bind":  # Docker creates a missing directory (empty, owned by root)
            self.file_ref(
                f,
                source,
                at,
                "bind_source",
                "bind source",
                f"service {service!r}",
                Severity.WARNING,
                "Docker will create it as an empty directory; commit it (a .gitkeep) if the service "
                "needs its content.",
            )


def _looks_like_file(path: str) -> bool:
    """``nginx.conf``, ``config.yml``: a bind source Docker would wrongly create as a directory."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return "." in name[1:] and name not in {".", ".."}
