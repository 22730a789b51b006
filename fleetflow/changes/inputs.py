"""A stack's input set: the repo files and directories whose content decides what it runs.

Built from its compose files by reading every relative reference (env files,
build contexts, bind-mount sources, config/secret files, ``extends`` and
``include`` files, recursively) resolved from the declaring file's directory.
When a reference cannot be resolved statically (``${VAR}`` in a path, YAML that
does not parse) the enclosing directory is taken instead: the set may grow,
it never misses an input.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from fleetflow.limits import LimitExceeded, load_compose

Reader = Callable[[str], bytes | None]
_VARIABLE = re.compile(r"\[\[([A-Za-z0-9_.\-]+)\]\]")
_MAX_FILES = 256


@dataclass(frozen=True)
class StackInputs:
    """What one stack reads: exact repo paths, directory prefixes ('' = whole repo, else 'dir/')."""

    name: str
    paths: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    config_hash: str = ""
    variables: frozenset[str] = frozenset()

    def covers(self, path: str) -> bool:
        """Whether a change to repo ``path`` touches this stack."""
        return path in self.paths or any(path.startswith(p) for p in self.prefixes)


def repo_path(base_dir: str, ref: str) -> str | None:
    """``ref`` resolved against repo directory ``base_dir``; None when absolute or outside the repo."""
    if not ref or ref.startswith(("/", "~")) or "://" in ref:
        return None
    joined = posixpath.normpath(posixpath.join(base_dir or ".", ref))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


def as_prefix(directory: str) -> str:
    """Directory ``directory`` as a prefix ('' for the repo root)."""
    return directory.rstrip("/") + "/" if directory else ""


def variables_in(text: str) -> set[str]:
    """Names of ``[[NAME]]`` variables referenced in ``text``."""
    return set(_VARIABLE.findall(text))


@dataclass
class _Collector:
    read: Reader
    paths: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)

    def file(self, base: str, ref: object) -> str | None:
        if not isinstance(ref, str):
            return None
        if "$" in ref:  # interpolated: take the directory of the static part
            static = posixpath.dirname(ref.split("$", 1)[0])
            target = repo_path(base, static or ".")
            if target is not None:
                self.prefixes.add(as_prefix(target))
            return None
        target = repo_path(base, ref)
        if target:
            self.paths.add(target)
        return target

    def directory(self, base: str, ref: object) -> None:
        if not isinstance(ref, str) or "://" in ref:
            return
        target = self.file(base, ref)
        if target is not None:
            self.prefixes.add(as_prefix(target))

    def compose(self, path: str) -> None:
        if path in self.seen or len(self.seen) >= _MAX_FILES:
            return
        self.seen.add(path)
        self.paths.add(path)
        base = posixpath.dirname(path)
        raw = self.read(path)
        if raw is None:
            return
        try:
            doc = load_compose(raw, f"compose file {path}")
        except (yaml.YAMLError, LimitExceeded):
            doc = None
        if not isinstance(doc, Mapping):
            self.prefixes.add(as_prefix(base))  # unreadable: the whole directory counts
            return
        self._document(base, doc)

    def _document(self, base: str, doc: Mapping[str, Any]) -> None:
        for entry in as_list(doc.get("include")):
            refs = entry.get("path") if isinstance(entry, Mapping) else entry
            for ref in as_list(refs):
                if (target := self.file(base, ref)) is not None:
                    self.compose(target)
            if isinstance(entry, Mapping):
                for env in as_list(entry.get("env_file")):
                    self.file(base, env)
        for section in ("configs", "secrets"):
            for spec in mapping_or_empty(doc.get(section)).values():
                if isinstance(spec, Mapping):
                    self.file(base, spec.get("file"))
        for service in mapping_or_empty(doc.get("services")).values():
            if isinstance(service, Mapping):
                self._service(base, service)

    def _service(self, base: str, service: Mapping[str, Any]) -> None:
        for key in ("env_file", "label_file"):
            for env in as_list(service.get(key)):
                self.file(base, env.get("path") if isinstance(env, Mapping) else env)
        build = service.get("build")
        if isinstance(build, str):
            self.directory(base, build)
        elif isinstance(build, Mapping):
            context = build.get("context", ".")
            self.directory(base, context)
            context_dir = repo_path(base, context) if isinstance(context, str) else None
            if context_dir is not None:
                self.file(context_dir, build.get("dockerfile"))
            for extra in mapping_or_empty(build.get("additional_contexts")).values():
                self.directory(base, extra)
        for volume in as_list(service.get("volumes")):
            self.directory(base, _bind_source(volume))
        extends = service.get("extends")
        if isinstance(extends, Mapping) and (target := self.file(base, extends.get("file"))) is not None:
            self.compose(target)


def _bind_source(volume: object) -> str | None:
    if isinstance(volume, Mapping):
        return volume.get("source") if volume.get("type", "bind") == "bind" else None
    if isinstance(volume, str) and ":" in volume:
        source = volume.split(":", 1)[0]
        return source if source.startswith((".", "/", "~", "$")) else None
    return None


def as_list(value: object) -> list[Any]:
    """A compose field that may be one value or a list, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def mapping_or_empty(value: object) -> Mapping[str, Any]:
    """A compose field that should be a mapping, or {}."""
    return value if isinstance(value, Mapping) else {}


def compose_inputs(
    name: str,
    compose_files: Iterable[str],
    read: Reader,
    *,
    run_directory: str = "",
    extra_files: Iterable[str] = (),
    config_hash: str = "",
    variables: Iterable[str] = (),
) -> StackInputs:
    """The input set of stack ``name`` from its compose files (repo paths) read by ``read``.

    ``run_directory`` (non-empty) is a prefix: every file under it counts, as in
    the deploy fingerprint. ``extra_files`` are further repo paths relative to
    the run directory (additional env files, ``config_files``, the env file).
    The compose project directory's ``.env`` is always an input.
    """
    collector = _Collector(read)
    files = list(compose_files)
    for path in files:
        collector.compose(path)
    run_dir = repo_path("", run_directory) if run_directory else ""
    if run_dir:
        collector.prefixes.add(as_prefix(run_dir))
    for extra in extra_files:
        collector.file(run_dir or "", extra)
    if files:
        collector.file(posixpath.dirname(files[0]), ".env")
    return StackInputs(
        name=name,
        paths=frozenset(collector.paths),
        prefixes=frozenset(collector.prefixes),
        config_hash=config_hash,
        variables=frozenset(variables),
    )
