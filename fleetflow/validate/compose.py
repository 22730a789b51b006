"""Offline checks of one stack's compose files: syntax, Compose spec, interpolation, references.

Each file is parsed and schema-checked once per run (``ParseCache``; stacks
sharing a compose file share the work), then interpolated with the stack's
environment. References are checked across all the stack's files (as compose
merges them): networks, named volumes, ``depends_on``, configs and secrets
declared; ``env_file``, config/secret files and bind sources inside the
repository exist.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fleetflow.changes.inputs import repo_path
from fleetflow.resources.sources import FileSource
from fleetflow.validate.facts import At, Port, StackFacts, published
from fleetflow.validate.findings import Finding, Severity
from fleetflow.validate.interpolation import render_data
from fleetflow.validate.schema import dotted, schema_errors
from fleetflow.validate.stackinput import INLINE, StackInput
from fleetflow.validate.yamldoc import YamlDoc, YamlError, parse


@dataclass(frozen=True)
class Parsed:
    """One compose file's text parsed: the document, or the syntax error; and its spec problems."""

    doc: YamlDoc | None
    error: YamlError | None = None
    spec: tuple[tuple[tuple[str | int, ...], str], ...] = ()


@dataclass
class ParseCache:
    """Parsed compose files by (path, text), shared by the stacks of one run."""

    entries: dict[tuple[str, str], Parsed] = field(default_factory=dict)

    def get(self, path: str, text: str) -> Parsed:
        key = (path, text)
        if key not in self.entries:
            try:
                doc = parse(text)
            except YamlError as exc:
                self.entries[key] = Parsed(None, exc)
            else:
                self.entries[key] = Parsed(doc, None, tuple(schema_errors(doc.data)))
        return self.entries[key]


@dataclass
class _File:
    path: str
    shown: str
    doc: YamlDoc
    data: dict[str, Any]

    @property
    def base(self) -> str:
        return posixpath.dirname(self.path)

    def line(self, *path: str | int) -> int | None:
        return self.doc.line_of(path)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [v if isinstance(v, str) else str(v.get("source", "")) for v in value if v is not None]
    return []


class StackChecker:
    """Runs the checks of one stack and collects findings and facts."""

    def __init__(self, stack: StackInput, source: FileSource, cache: ParseCache) -> None:
        self.si, self.source, self.cache = stack, source, cache
        self.findings: list[Finding] = []
        self.facts = StackFacts(stack.name, stack.server, stack.project)

    def add(
        self, check: str, severity: Severity, message: str, file: str, line: int | None, hint: str = ""
    ) -> None:
        self.findings.append(
            Finding(check, severity, message, self.si.name, self.si.server, file, line, hint)
        )

    def run(self) -> tuple[list[Finding], StackFacts]:
        for missing in self.si.missing_env_files:
            self.add(
                "env_file",
                Severity.ERROR,
                f"additional env file {missing!r} of stack {self.si.name!r} does not exist in "
                f"{self.si.run_dir or 'the repository root'}",
                "",
                None,
                "Commit it or remove it from additional_env_files.",
            )
        files = [f for f in (self.load(p) for p in self.si.files) if f is not None]
        files += self.included(files)
        if files:
            self.references(files)
        return self.findings, self.facts

    def included(self, files: list[_File], limit: int = 32) -> list[_File]:
        """Files pulled in by top-level ``include`` (their services, networks and volumes join)."""
        seen = {f.path for f in files}
        queue, out = list(files), []
        while queue and len(seen) < limit:
            f = queue.pop(0)
            entries = f.data.get("include")
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                refs = entry.get("path") if isinstance(entry, Mapping) else entry
                for ref in refs if isinstance(refs, list) else [refs]:
                    if not isinstance(ref, str):
                        continue
                    target = repo_path(f.base, ref)
                    if target is None or target in seen:
                        continue
                    seen.add(target)
                    if not self.source.exists(target):
                        self.file_ref(f, ref, ("include", i), "include", "included file", "the compose file")
                        continue
                    loaded = self.load(target)
                    if loaded is not None:
                        out.append(loaded)
                        queue.append(loaded)
        return out

    def load(self, path: str) -> _File | None:
        if self.si.inline is not None and path == self.si.files[0]:
            text, shown = self.si.inline, f"{self.si.name}:{INLINE}"
        else:
            try:
                text, shown = self.source.read_text(path), path
            except (OSError, UnicodeDecodeError) as exc:
                self.add(
                    "compose.yaml", Severity.ERROR, f"cannot read {path} ({type(exc).__name__})", path, None
                )
                return None
        parsed = self.cache.get(shown, text)
        if parsed.error is not None or parsed.doc is None:
            message = str(parsed.error) if parsed.error else "invalid YAML"
            line = parsed.error.line if parsed.error else None
            self.add("compose.yaml", Severity.ERROR, message, shown, line, "Fix the YAML syntax.")
            return None
        doc = parsed.doc
        for spec_path, message in parsed.spec:
            self.add(
                "compose.spec",
                Severity.ERROR,
                message,
                shown,
                doc.line_of(spec_path),
                "See the Compose specification.",
            )
        if not isinstance(doc.data, dict):
            return None
        data, uses = render_data(doc.data, self.si.env)
        for use_path, use in uses:
            line = doc.line_of(use_path)
            if use.kind == "required":
                detail = f": {use.message}" if use.message else ""
                self.add(
                    "interpolation",
                    Severity.ERROR,
                    f"required variable {use.name} is not set{detail} (at {dotted(use_path)})",
                    shown,
                    line,
                    f"Set {use.name} in the stack's environment or an env file.",
                )
            else:
                self.add(
                    "interpolation",
                    Severity.WARNING,
                    f"variable {use.name} is not set and has no default; compose substitutes an empty "
                    f"string (at {dotted(use_path)})",
                    shown,
                    line,
                    f"Set {use.name} in the stack's environment, or write ${{{use.name}:-default}}.",
                )
        return _File(path, shown, doc, data)

    def exists(self, path: str) -> bool:
        return path in self.si.written or self.source.exists(path)

    def references(self, files: list[_File]) -> None:
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

    def top_level(self, f: _File) -> None:
        for section, facts in (
            ("networks", self.facts.external_networks),
            ("volumes", self.facts.external_volumes),
        ):
            for key, spec in _mapping(f.data.get(section)).items():
                spec = _mapping(spec)
                if spec.get("external") in (True, "true"):
                    facts.append(At(str(spec.get("name") or key), f.shown, f.line(section, key)))
        for section in ("configs", "secrets"):
            for key, spec in _mapping(f.data.get(section)).items():
                ref = _mapping(spec).get("file")
                if isinstance(ref, str):
                    self.file_ref(f, ref, (section, key, "file"), section, "file", f"{section[:-1]} {key!r}")

    def file_ref(
        self,
        f: _File,
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
        f: _File,
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

    def volume(self, f: _File, service: str, vol: Any, at: tuple[str | int, ...], named: set[str]) -> None:
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


def check_stack(stack: StackInput, source: FileSource, cache: ParseCache) -> tuple[list[Finding], StackFacts]:
    """Findings and host-visible facts of one stack's compose files."""
    return StackChecker(stack, source, cache).run()
