"""Deploy fingerprints: one hash for everything that decides what a stack runs.

``inputs_digest`` is the cheap part (resolved config, every file, hashed variable
values) that ``deploy_if_changed`` compares without calling compose;
``compute_fingerprint`` adds the rendered compose model and the image ids.
Per-service fingerprints are stamped on containers as labels, so an unchanged
service keeps identical labels and compose leaves it running.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fleetflow.deploy.models import DeploySpec

FINGERPRINT_VERSION = "ff1"


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def resolved_config(spec: DeploySpec) -> dict[str, object]:
    """The spec fields that decide what runs (not how a deploy is carried out), values hashed."""
    return {
        "stack": spec.stack,
        "project": spec.project_name,
        "server": spec.server,
        "run_directory": spec.run_directory,
        "file_paths": list(spec.file_paths),
        "env_file_path": spec.env_file_path,
        "additional_env_files": list(spec.additional_env_files),
        "environment": {k: _sha(k.encode(), v.encode()) for k, v in sorted(spec.environment.items())},
        "pre_deploy": spec.pre_deploy.model_dump(),
        "post_deploy": spec.post_deploy.model_dump(),
        "extra_args": list(spec.extra_args),
    } | _optional(spec)


def _optional(spec: DeploySpec) -> dict[str, object]:
    """Fields counted only when set, so a stack without them keeps its digest."""
    fields: dict[str, object] = {
        "compose_cmd_wrapper": spec.compose_cmd_wrapper,
        "compose_cmd_wrapper_include": list(spec.compose_cmd_wrapper_include),
        "run_build": spec.run_build,
        "build_extra_args": list(spec.build_extra_args),
        "registry": spec.registry_provider,
        "files_on_host": spec.files_on_host,
    }
    return {key: value for key, value in fields.items() if value}


def inputs_digest(spec: DeploySpec) -> str:
    """sha256 over the resolved config and every file (path and content)."""
    files = sorted((path, hashlib.sha256(content).hexdigest()) for path, content in spec.files.items())
    return _sha(FINGERPRINT_VERSION.encode(), _canonical(resolved_config(spec)), _canonical(files))


def compute_fingerprint(
    spec: DeploySpec, rendered_compose_model: Mapping[str, Any], image_digests: Mapping[str, str]
) -> str:
    """The stack's deploy fingerprint: inputs + rendered model (``compose config``) + image ids."""
    return _sha(
        inputs_digest(spec).encode(),
        _canonical(rendered_compose_model),
        _canonical(sorted(image_digests.items())),
    )


def service_images(model: Mapping[str, Any]) -> dict[str, str]:
    """service -> image reference, for services that name an image."""
    services: Mapping[str, Any] = model.get("services") or {}
    return {name: str(svc["image"]) for name, svc in services.items() if svc.get("image")}


def service_fingerprints(
    model: Mapping[str, Any],
    image_digests: Mapping[str, str],
    file_inputs: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """service -> sha256 of its rendered definition, its image id and the hash of the files it
    reads (``file_inputs``, see :mod:`fleetflow.deploy.service_inputs`), stamped as a label."""
    services: Mapping[str, Any] = model.get("services") or {}
    images = service_images(model)
    inputs = file_inputs or {}
    out = {}
    for name, svc in sorted(services.items()):
        parts = [_canonical(svc), image_digests.get(images.get(name, ""), "").encode()]
        if inputs.get(name):  # a service reading no file keeps the fingerprint it had before
            parts.append(inputs[name].encode())
        out[name] = _sha(*parts)
    return out
