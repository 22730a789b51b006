"""Per-service file inputs: what each service reads from the stack's files, hashed.

Compose recreates a container only when its rendered definition changes; a new
content of a bind-mounted file or directory, a ``configs:``/``secrets:`` file
or an env file leaves the definition as it was. So each service gets a hash of
the files it reads (paths taken from the rendered model, absolute on the host,
mapped back to the files fleetflow wrote under the stack dir), stamped as the
``fleetflow.inputs`` label: the label changes exactly when those files do, and
``compose up -d`` recreates exactly those services.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from fleetflow.changes.inputs import as_list, mapping_or_empty

INPUTS_LABEL = "fleetflow.inputs"


def _bind_source(volume: object) -> str | None:
    if isinstance(volume, Mapping):
        source = volume.get("source")
        return source if volume.get("type", "bind") == "bind" and isinstance(source, str) else None
    if isinstance(volume, str) and ":" in volume and volume.startswith(("/", ".")):
        return volume.split(":", 1)[0]
    return None


def _top_level_files(model: Mapping[str, Any], section: str, refs: object) -> list[str]:
    declared = mapping_or_empty(model.get(section))
    out = []
    for ref in as_list(refs):
        name = ref.get("source") if isinstance(ref, Mapping) else ref
        spec = mapping_or_empty(declared.get(name)) if isinstance(name, str) else {}
        if isinstance(spec.get("file"), str):
            out.append(spec["file"])
    return out


def service_sources(model: Mapping[str, Any], service: Mapping[str, Any], cwd: str) -> list[str]:
    """Host paths (absolute) that ``service`` reads: bind sources, config/secret files, env files."""
    found: list[str] = []
    for volume in as_list(service.get("volumes")):
        if (source := _bind_source(volume)) is not None:
            found.append(source)
    for section in ("configs", "secrets"):
        found += _top_level_files(model, section, service.get(section))
    for env in as_list(service.get("env_file")):
        path = env.get("path") if isinstance(env, Mapping) else env
        if isinstance(path, str):
            found.append(path)
    return [posixpath.normpath(posixpath.join(cwd, p)) for p in found]


def _digest(entries: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for path, content in sorted(set(entries)):
        digest.update(f"{path}\0{content}\n".encode())
    return digest.hexdigest()[:32]


def service_input_hashes(
    model: Mapping[str, Any], files: Mapping[str, bytes], base_dir: str, cwd: str
) -> dict[str, str]:
    """service -> hash of the files it reads among ``files`` (paths relative to ``base_dir``);
    services reading no file are absent.

    A source outside ``base_dir`` (a host path fleetflow does not write) counts by
    its path only; a source naming a directory covers every file under it.
    """
    contents = {posixpath.normpath(p): hashlib.sha256(c).hexdigest() for p, c in files.items()}
    out: dict[str, str] = {}
    for name, service in sorted(mapping_or_empty(model.get("services")).items()):
        entries: list[tuple[str, str]] = []
        for source in service_sources(model, mapping_or_empty(service), cwd):
            rel = posixpath.relpath(source, base_dir)
            if rel == ".." or rel.startswith("../"):
                entries.append((source, "outside"))
                continue
            prefix = "" if rel == "." else rel + "/"
            matched = [(p, h) for p, h in contents.items() if p == rel or p.startswith(prefix)]
            entries += matched or [(rel, "absent")]
        if entries:
            out[name] = _digest(entries)
    return out
