"""The Komodo-shaped corpus (tests/cases) deployed on the test bed, for every case using a deploy field.

Cases are picked by scanning their TOML for ``FIELDS`` (the stack fields of issue #19), never
by a list of names: each case using one is loaded as a sync loads it (validate, interpolate,
the case's secrets), every deployable stack gets its ``DeploySpec`` and is deployed by the
real engine on test-bed host1, and what reached the containers is read back: environment
(``docker inspect``), bind-mounted file contents (``docker exec cat``), the built image, the
wrapper's decrypted secrets, hook and compose output. A case that uses one of these fields
and cannot be deployed fails, unless ``SKIPPED`` names it with its reason.

The test bed pulls nothing from the internet, so every case is adapted in plain sight:
``REWRITES`` says each change, applied to the spec the engine receives (and to files placed
on the host for ``files_on_host``), never to the case's files. One session deploys every
case at once (4 deploys at a time) and takes every project down after.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from pydantic import SecretStr

from fleetflow.deploy import DeployResult, DeploySpec, DeployStatus, InMemoryHistory, deploy
from fleetflow.deploy.output import Masker
from fleetflow.hosts import LocalHost
from fleetflow.resources import EnvSecrets, interpolate, load_resources, validate
from fleetflow.resources.stack import DEFAULT_COMPOSE_FILES
from fleetflow.runtime.select import deployable
from fleetflow.runtime.snapshot import worktree_snapshot
from fleetflow.runtime.specs import deploy_spec
from tests import conftest as tb
from tests.conftest import missing, tcp_open

pytestmark = [pytest.mark.docker, pytest.mark.registry]

CASES = Path(__file__).resolve().parents[1] / "cases"
FIELDS = frozenset(
    {
        "files_on_host",
        "compose_cmd_wrapper",
        "compose_cmd_wrapper_include",
        "run_build",
        "build_extra_args",
        "registry_provider",
        "registry_account",
        "auto_update_skip_services",
        "webhook_force_deploy",
        "destroy_before_deploy",
        "ignore_services",
        "extra_args",
        "pre_deploy",
        "post_deploy",
        "additional_env_files",
        "config_files",
    }
)
NOT_AT_DEPLOY = {
    "auto_update_skip_services": "acts in the health round's image updates (tests/health), not in a deploy",
    "webhook_force_deploy": "acts when a push arrives (tests/e2e/test_serve_webhook_force.py)",
}
"""Fields with nothing a deploy shows in its containers; their cases still deploy."""

INVALID = "invalid on purpose: its golden outcome (expected.json) is load errors, there is nothing to deploy"
OTHER_REPO = "stack files from another repository (stack-level repo / linked_repo): tested on branch i19repo"
SKIPPED: dict[str, str] = {
    "homelab-broken-refs": INVALID,
    "homelab-broken-toml": INVALID,
    "homelab-broken-types": INVALID,
    "homelab-cycle": INVALID,
    "homelab-duplicates": INVALID,
    "homelab-unknown-variable": INVALID,
    "run-directory": INVALID,
}
"""Cases using a field that are not deployed here, each with its reason (checked, so it cannot go stale)."""

SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
REWRITES = {
    "server": "every server is test-bed host1 (LocalHost, a stacks root per case)",
    "project": "each stack runs as compose project ffc<run>-<case>-<stack>: cases never collide",
    "image": "an image the test bed cannot pull becomes the test-bed busybox image, and its command a sleep "
    "(the original command belongs to the original image); a service without a command gets the sleep",
    "one-shot": "a service in ignore_services runs `true` and exits, as a one-shot job does",
    "build": "a built image gets a per-run tag; a Dockerfile's FROM becomes the test-bed image",
    "registry": "registry_provider becomes the test bed's htpasswd registry (token from the test bed) and "
    "the stack's images are pushed there and removed from host1, so the deploy must log in to pull",
    "hooks": "a hook writing outside the stack's folder writes inside it instead (HOOK_REWRITES)",
    "sops": "`sops` is a stand-in on PATH: `sops exec-env FILE CMD` exports FILE's ENC[..,data:<base64>] "
    "values, then runs CMD",
}
HOOK_REWRITES: dict[tuple[str, str, str], tuple[str, str]] = {
    ("homelab", "immich", "pre_deploy"): ("mkdir -p /mnt/photos", "mkdir -p ./mnt/photos"),
}
"""(case, stack, hook) -> (command in the case, command run): checked to still match the case."""

SOPS_STANDIN = """#!{python}
# sops-shaped stand-in (no sops in the test bed): `sops exec-env FILE CMD`
import base64, os, re, sys
assert sys.argv[1] == "exec-env", sys.argv
for line in open(sys.argv[2]):
    key, _, value = line.strip().partition("=")
    found = re.fullmatch(r"ENC\\[[^,]+,data:([^,]*),.*\\]", value)
    if key and not key.startswith("sops_") and found:
        os.environ[key] = base64.b64decode(found.group(1)).decode()
os.execvp("sh", ["sh", "-c", sys.argv[3]])
"""


# --- scanning the corpus --------------------------------------------------------------------------


def _toml_files(case_dir: Path) -> list[Path]:
    case = tomllib.loads((case_dir / "case.toml").read_text())
    dirs = [CASES / case["base"] / "repo"] if "base" in case else []
    return [p for d in [*dirs, case_dir / "repo"] for p in sorted(d.rglob("*.toml"))]


def _entries(case_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """kind -> entries of every TOML file of the case that parses (broken files are other cases' point)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in _toml_files(case_dir):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        for kind, entries in data.items():
            if isinstance(entries, list):
                out.setdefault(kind, []).extend(e for e in entries if isinstance(e, dict))
    return out


def fields_used(case_dir: Path) -> dict[str, set[str]]:
    """stack name -> the ``FIELDS`` its config sets."""
    out = {}
    for stack in _entries(case_dir).get("stack", []):
        config = stack.get("config")
        used = FIELDS & set(config) if isinstance(config, dict) else set()
        if used:
            out[str(stack.get("name"))] = used
    return out


def other_repo_stacks(case_dir: Path) -> list[str]:
    """Stacks taking their files from another repository than the synced one."""
    entries = _entries(case_dir)
    repos = {r.get("name") for r in entries.get("repo", [])}
    synced = {(s.get("config") or {}).get("linked_repo") for s in entries.get("resource_sync", [])}
    out = []
    for stack in entries.get("stack", []):
        config = stack.get("config") if isinstance(stack.get("config"), dict) else {}
        linked = config.get("linked_repo")
        if config.get("repo") or (linked and linked in repos and linked not in synced):
            out.append(str(stack.get("name")))
    return out


def corpus() -> dict[str, dict[str, set[str]]]:
    """case -> stack -> fields used, for every case using one of ``FIELDS``."""
    found = {}
    for case_dir in sorted(p for p in CASES.iterdir() if (p / "case.toml").exists()):
        used = fields_used(case_dir)
        if used:
            found[case_dir.name] = used
    return found


SELECTED = corpus()
DEPLOYED = sorted(set(SELECTED) - set(SKIPPED))


# --- adapting a case to the test bed (REWRITES) --------------------------------------------------


@dataclass
class Bed:
    """What the rewrites point at: test-bed image, daemon, htpasswd registry, run token."""

    image: str
    docker_host: str
    registry: dict[str, str]
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    pushed: set[str] = field(default_factory=set)
    built: set[str] = field(default_factory=set)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _compose_paths(spec: DeploySpec) -> list[str]:
    return [posixpath.join(spec.run_directory, f) if spec.run_directory else f for f in spec.file_paths]


def rewrite_compose(text: bytes, spec: DeploySpec, bed: Bed, prefix: str) -> bytes:
    """REWRITES image / one-shot / build / registry on one compose file."""
    model = yaml.safe_load(text) or {}
    for name, svc in (model.get("services") or {}).items():
        if "build" in svc:
            svc["image"] = f"{prefix}-{_slug(name)}:built"
            bed.built.add(svc["image"])
        elif spec.registry_provider:
            svc["image"] = f"{bed.registry['address']}/{prefix}/{_slug(name)}:v1"
            svc["command"] = SLEEP
        elif svc.get("image") != bed.image:
            svc["image"], svc["command"] = bed.image, SLEEP
        svc.setdefault("command", SLEEP)
        if name in spec.ignore_services:
            svc["command"] = ["true"]
    return yaml.safe_dump(model, sort_keys=False).encode()


def rewrite_dockerfile(text: bytes, bed: Bed) -> bytes:
    return re.sub(rb"(?m)^FROM\s+\S+", b"FROM " + bed.image.encode(), text)


def rewrite_spec(case: str, spec: DeploySpec, bed: Bed) -> DeploySpec:
    prefix = f"ffc{bed.token}-{_slug(case)}-{_slug(spec.stack)}"[:60]
    update: dict[str, Any] = {"project": prefix, "timeout_s": 90, "settle_s": 0.5}
    if spec.registry_provider:
        token = SecretStr(bed.registry["password"])
        update |= {
            "registry_provider": bed.registry["address"],
            "registry_account": bed.registry["user"],
            "registry_token": token,
            "secret_values": (*spec.secret_values, token),
        }
    spec = spec.model_copy(update=update)
    compose = set(_compose_paths(spec))
    files = dict(spec.files)
    for path, data in files.items():
        if path in compose:
            files[path] = rewrite_compose(data, spec, bed, prefix)
        elif posixpath.basename(path) == "Dockerfile":
            files[path] = rewrite_dockerfile(data, bed)
    hooks = {}
    for hook in ("pre_deploy", "post_deploy"):
        if (case, spec.stack, hook) in HOOK_REWRITES:
            old, new = HOOK_REWRITES[(case, spec.stack, hook)]
            current = getattr(spec, hook)
            assert current.command == old, (
                f"HOOK_REWRITES of {case}/{spec.stack} is stale: {current.command!r}"
            )
            hooks[hook] = current.model_copy(update={"command": new})
    return spec.model_copy(update={"files": files, **hooks})


def push_registry_images(spec: DeploySpec, bed: Bed) -> None:
    """The registry stack's images, pushed to the htpasswd registry and removed from host1."""
    creds = {"username": bed.registry["user"], "password": bed.registry["password"]}
    with closing(docker.DockerClient(base_url=bed.docker_host)) as client:
        for image in sorted(_images(spec)):
            repo, tag = image.rsplit(":", 1)
            client.images.get(bed.image).tag(repo, tag)
            for line in client.images.push(repo, tag, auth_config=creds, stream=True, decode=True):
                assert "error" not in line, line
            client.images.remove(image)
            bed.pushed.add(image)


def _images(spec: DeploySpec) -> set[str]:
    out = set()
    for path in _compose_paths(spec):
        model = yaml.safe_load(spec.files[path]) or {}
        out |= {str(s["image"]) for s in (model.get("services") or {}).values() if "build" not in s}
    return out


# --- deploying every selected case ----------------------------------------------------------------


@dataclass
class Deployed:
    """One stack of a case after its deploy: the spec the engine got, its result and output."""

    case: str
    spec: DeploySpec
    result: DeployResult
    lines: list[str]
    host: LocalHost
    compose: dict[str, dict[str, Any]]
    config_files: tuple[str, ...] = ()
    first_ids: dict[str, str] = field(default_factory=dict)
    again: DeployResult | None = None


def _load(case: str, root: Path) -> tuple[Any, Any, dict[str, Any]]:
    case_dir = CASES / case
    meta = tomllib.loads((case_dir / "case.toml").read_text())
    repo = root / "repo"
    if "base" in meta:
        shutil.copytree(CASES / meta["base"] / "repo", repo, dirs_exist_ok=True)
    shutil.copytree(case_dir / "repo", repo, dirs_exist_ok=True)
    snapshot = worktree_snapshot(repo)
    secrets = EnvSecrets(meta.get("secrets", {}), prefix="")
    loaded = validate(
        load_resources(snapshot.source, meta.get("resource_paths", [""])),
        repo_name=meta.get("repo_name"),
        secrets=secrets,
    )
    assert not loaded.errors, f"case {case} uses {sorted(FIELDS)} fields but does not load: {loaded.errors}"
    return snapshot, interpolate(loaded, secrets), meta


def _ids(host: LocalHost, project: str) -> dict[str, str]:
    with host.docker() as client:
        found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        return {c.labels["com.docker.compose.service"]: str(c.id) for c in found}


async def deploy_case(case: str, root: Path, bed: Bed, gate: asyncio.Semaphore) -> list[Deployed]:
    snapshot, desired, _ = _load(case, root)
    host = LocalHost("host1", stacks_root=root / "stacks", docker_host=bed.docker_host)
    history = InMemoryHistory()
    held = {n for n, s in desired.stacks.items() if s.held}
    out = []

    async def one(name: str) -> Deployed:
        spec = rewrite_spec(case, deploy_spec(name, desired, snapshot), bed)
        if spec.files_on_host:  # the files a Komodo user put on the host, where run_directory says
            place_on_host(snapshot.root, spec, root / "stacks", bed)
        if spec.registry_provider:
            push_registry_images(spec, bed)
        lines: list[str] = []
        async with gate:
            result = await deploy(host, spec, history, on_line=lines.append)
            item = Deployed(case, spec, result, lines, host, _models(spec, root / "stacks"))
            item.config_files = tuple(c.path for c in desired.stacks[name].config.config_files)
            if spec.destroy_before_deploy and result.status is DeployStatus.GOOD:
                item.first_ids = _ids(host, spec.project_name)
                item.again = await deploy(host, spec.model_copy(update={"commit": "again"}), history)
        return item

    out = await asyncio.gather(*(one(n) for n in deployable(desired) if n not in held))
    return list(out)


def place_on_host(repo: Path | None, spec: DeploySpec, stacks_root: Path, bed: Bed) -> None:
    assert repo is not None
    assert not spec.run_directory.startswith("/"), spec.run_directory
    source, target = repo / spec.run_directory, stacks_root / spec.run_directory
    target.mkdir(parents=True, exist_ok=True)
    prefix = f"ffc{bed.token}-host-{_slug(spec.stack)}"
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            is_compose = path.name in (spec.file_paths or DEFAULT_COMPOSE_FILES)
            dest.write_bytes(rewrite_compose(data, spec, bed, prefix) if is_compose else data)


def _models(spec: DeploySpec, stacks_root: Path) -> dict[str, dict[str, Any]]:
    """service -> compose definition as the engine got it (from the spec, or from the host)."""
    if spec.files_on_host:
        on_host = [stacks_root / spec.run_directory / f for f in spec.file_paths or DEFAULT_COMPOSE_FILES]
        texts = [p.read_bytes() for p in on_host if p.is_file()][: len(spec.file_paths) or 1]
    else:
        texts = [spec.files[p] for p in _compose_paths(spec)]
    out: dict[str, dict[str, Any]] = {}
    for data in texts:
        out |= (yaml.safe_load(data) or {}).get("services") or {}
    return out


@pytest.fixture(scope="module")
def auth_registry(testbed: tb.Testbed) -> dict[str, str]:
    info: dict[str, Any] = testbed.raw.get("registry_auth") or {}
    if not info or not tcp_open(str(info["address"])):
        missing("registry-auth", "no htpasswd registry in the test bed")
    password = Path(info["password_file"]).read_text().strip()
    return {"address": str(info["address"]), "user": str(info["user"]), "password": password}


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory,
    docker_hosts: dict[str, str],
    testbed_image: str,
    auth_registry: dict[str, str],
) -> Iterator[dict[str, list[Deployed] | BaseException]]:
    """Every selected case deployed at once on host1 (one test-bed session), torn down after."""
    root = tmp_path_factory.mktemp("corpus")
    bed = Bed(image=testbed_image, docker_host=docker_hosts["host1"], registry=auth_registry)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "sops").write_text(SOPS_STANDIN.format(python=sys.executable))
    (bin_dir / "sops").chmod(0o755)

    async def everything() -> list[list[Deployed] | BaseException]:
        gate = asyncio.Semaphore(4)
        cases = (deploy_case(c, root / c, bed, gate) for c in DEPLOYED)
        return await asyncio.gather(*cases, return_exceptions=True)  # one case failing fails its own test

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        try:
            results = asyncio.run(everything())
            yield dict(zip(DEPLOYED, results, strict=True))
        finally:
            _tear_down(bed)


def _tear_down(bed: Bed) -> None:
    with closing(docker.DockerClient(base_url=bed.docker_host)) as client:
        projects = {
            c.labels.get("com.docker.compose.project", "")
            for c in client.containers.list(all=True, filters={"label": "com.docker.compose.project"})
        }
        for project in sorted(p for p in projects if p.startswith(f"ffc{bed.token}-")):
            subprocess.run(
                ["docker", "compose", "-p", project, "down", "-t", "0", "-v", "--remove-orphans"],
                env={"DOCKER_HOST": bed.docker_host, "PATH": "/usr/local/bin:/usr/bin:/bin"},
                capture_output=True,
                check=False,
            )
        for image in bed.built | bed.pushed:
            with suppress(docker.errors.ImageNotFound):
                client.images.remove(image, force=True)


# --- what reached the containers -----------------------------------------------------------------


def _container(item: Deployed, service: str) -> Any:
    with item.host.docker() as client:
        (found,) = client.containers.list(
            all=True,
            filters={
                "label": [
                    f"com.docker.compose.project={item.spec.project_name}",
                    f"com.docker.compose.service={service}",
                ]
            },
        )
        return found


def _env_of(container: Any) -> dict[str, str]:
    return dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])


def _dotenv(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key and not key.startswith("#"):
            out[key.strip()] = value.strip().strip("'\"")
    return out


def _sops_env(item: Deployed) -> dict[str, str]:
    """What the sops stand-in exports, when the stack's wrapper calls it."""
    found = re.search(r"sops exec-env (\S+)", item.spec.compose_cmd_wrapper)
    if not found:
        return {}
    text = item.spec.files[posixpath.join(item.spec.run_directory, found.group(1))].decode()
    out = {}
    for key, value in _dotenv(text).items():
        data = re.fullmatch(r"ENC\[[^,]+,data:([^,]*),.*\]", value)
        if data and not key.startswith("sops_"):
            out[key] = base64.b64decode(data.group(1)).decode()
    return out


def _env_sources(item: Deployed) -> dict[str, tuple[str, str]]:
    """What compose interpolates ``${VAR}`` from, and the field that put it there: additional env
    files, then the stack's env file (``environment``), then the wrapper's environment (the shell
    beats env files)."""
    values: dict[str, tuple[str, str]] = {}
    for name in item.spec.additional_env_files:
        path = posixpath.normpath(posixpath.join(item.spec.run_directory, name))
        text = item.spec.files.get(path, b"").decode()
        values |= {k: (v, "additional_env_files") for k, v in _dotenv(text).items()}
    values |= {k: (v, "environment") for k, v in item.spec.environment.items()}
    return values | {k: (v, "compose_cmd_wrapper") for k, v in _sops_env(item).items()}


def expected_environment(
    item: Deployed, service: str, sources: Mapping[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """The service's ``environment`` entries compose fills from one ``${VAR}`` (or a literal): key ->
    (value, field it came from)."""
    raw = item.compose[service].get("environment") or {}
    pairs = raw.items() if isinstance(raw, dict) else (e.split("=", 1) for e in raw if "=" in e)
    out = {}
    for key, value in pairs:
        if value is None:
            continue
        text = str(value)
        ref = re.fullmatch(r"\$\{?(\w+)\}?", text)
        if ref is None and "$" not in text:
            out[str(key)] = (text, "compose")
        elif ref is not None and ref.group(1) in sources:
            out[str(key)] = sources[ref.group(1)]
    return out


def bind_mounted_files(item: Deployed, service: str) -> dict[str, bytes]:
    """container path -> repo bytes of every single file the service bind-mounts from the repo."""
    out = {}
    for volume in item.compose[service].get("volumes") or []:
        if not isinstance(volume, str) or not volume.startswith("."):
            continue
        source, target = volume.split(":")[:2]
        path = posixpath.normpath(posixpath.join(item.spec.run_directory, source))
        if path in item.spec.files:
            out[target] = item.spec.files[path]
    return out


def _is_config_file(item: Deployed, target: str, service: str) -> bool:
    """Whether the file mounted at ``target`` is one of the stack's ``config_files``."""
    for volume in item.compose[service].get("volumes") or []:
        if isinstance(volume, str) and volume.split(":")[1:2] == [target]:
            path = posixpath.normpath(posixpath.join(item.spec.run_directory, volume.split(":")[0]))
            return any(
                posixpath.normpath(posixpath.join(item.spec.run_directory, c)) == path
                for c in item.config_files
            )
    return False


def build_arg_env(item: Deployed, service: str) -> dict[str, str]:
    """``ENV X=$ARG`` of the service's Dockerfile, filled from ``--build-arg ARG=V`` in build_extra_args."""
    build = item.compose[service].get("build")
    if not build:
        return {}
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = posixpath.normpath(posixpath.join(item.spec.run_directory, context, "Dockerfile"))
    args = dict(a.split("=", 1) for a in item.spec.build_extra_args if "=" in a and not a.startswith("-"))
    out = {}
    for env, arg in re.findall(r"(?m)^ENV\s+(\w+)=\$\{?(\w+)\}?\s*$", item.spec.files[dockerfile].decode()):
        if arg in args:
            out[env] = args[arg]
    return out


def _mask(item: Deployed, text: str) -> str:
    """``text`` as the engine's output shows it (secret values masked)."""
    return Masker(s.get_secret_value() for s in item.spec.secret_values)(text)


def check_stack(item: Deployed) -> tuple[list[str], set[str]]:
    """Every way the stack's fields should show in its containers and output: (problems, fields seen)."""
    spec, log = item.spec, item.lines
    if item.result.status is not DeployStatus.GOOD:
        tail = "\n".join(item.result.output_tail[-15:])
        return [f"deploy {item.result.status.value}: {item.result.reason}\n{tail}"], set()
    problems: list[str] = []
    seen: set[str] = set()

    def expect(fact: bool, field_name: str, problem: str) -> None:
        if fact:
            seen.add(field_name)
        else:
            problems.append(problem)

    sources = _env_sources(item)
    for service in item.compose:
        container = _container(item, service)
        if service in spec.ignore_services:  # a one-shot job: it ran (its container exists), not waited for
            seen.add("ignore_services")
            continue
        if spec.files_on_host:
            seen.add("files_on_host")  # its containers run the compose file read on the host
        env = _env_of(container)
        for key, (value, source) in expected_environment(item, service, sources).items():
            expect(
                env.get(key) == value, source, f"{service}: env {key}={env.get(key)!r}, expected {value!r}"
            )
        for key, value in build_arg_env(item, service).items():
            expect(env.get(key) == value, "build_extra_args", f"{service}: built env {key}={env.get(key)!r}")
        for target, data in bind_mounted_files(item, service).items():
            code, inside = container.exec_run(["cat", target])
            expect(code == 0 and inside == data, "config_files" if _is_config_file(item, target, service)
                   else "bind", f"{service}: {target} in the container is not the repo's file")  # fmt: skip
        if spec.registry_provider:
            image = str(container.attrs["Config"]["Image"])
            expect(image.startswith(spec.registry_provider), "registry_provider", f"{service}: image {image}")
            seen.add("registry_account")  # the pull from the htpasswd registry needed its login
    lines: list[tuple[str, str]] = []
    if spec.extra_args:
        lines.append(("extra_args", f"==> docker compose up -d --remove-orphans {' '.join(spec.extra_args)}"))
    if spec.run_build:
        lines.append(("run_build", f"==> docker compose build {' '.join(spec.build_extra_args)}".rstrip()))
    if spec.compose_cmd_wrapper:
        lines.append(("compose_cmd_wrapper", "==> through compose_cmd_wrapper: up"))
        if "up" in spec.compose_cmd_wrapper_include:  # a wrapped `config` prints nothing of its own
            lines.append(("compose_cmd_wrapper_include", "==> through compose_cmd_wrapper: up"))
    for name in ("pre_deploy", "post_deploy"):
        hook = getattr(spec, name)
        if hook.command.strip():
            lines.append((name, f"==> hook in {hook.path or '.'}: {hook.command}"))
            if hook.command.startswith("echo "):
                lines.append((name, hook.command.removeprefix("echo ")))
    for field_name, line in lines:
        expect(_mask(item, line) in log, field_name, f"output lacks {_mask(item, line)!r}")
    if any(p.startswith("output lacks") for p in problems):
        problems.append("the output was:\n" + "\n".join(log))
    if item.again is not None:  # destroy_before_deploy: a deploy takes the containers down first
        kept = set(_ids(item.host, spec.project_name).values()) & set(item.first_ids.values())
        expect(item.again.status is DeployStatus.GOOD and not kept, "destroy_before_deploy",
               f"second deploy {item.again.status.value}, containers kept: {sorted(kept)}")  # fmt: skip
    return problems, seen


# --- the tests ------------------------------------------------------------------------------------


def test_the_table_of_skipped_cases_is_current() -> None:
    for case, reason in SKIPPED.items():
        assert case in SELECTED, f"SKIPPED names {case}, which uses none of the fields: remove it"
        if reason == INVALID:
            errors = json.loads((CASES / case / "expected.json").read_text())["errors"]
            assert errors, f"{case} is listed as invalid but its golden outcome has no errors"
    for case in SELECTED:
        if other_repo_stacks(CASES / case):
            assert SKIPPED.get(case) == OTHER_REPO, f"{case} takes stack files from another repository"


def test_every_field_has_a_deployed_case() -> None:
    covered = {f for case in DEPLOYED for fields in SELECTED[case].values() for f in fields}
    assert covered == FIELDS, f"no deployable corpus case uses {sorted(FIELDS - covered)}: add one"


@pytest.mark.parametrize("case", DEPLOYED)
def test_case_deploys_and_its_fields_reach_the_containers(
    case: str, deployed: dict[str, list[Deployed] | BaseException]
) -> None:
    stacks = deployed[case]
    if isinstance(stacks, BaseException):
        raise AssertionError(f"{case} could not be deployed: {type(stacks).__name__}: {stacks}") from stacks
    using = set(SELECTED[case])
    assert using <= {d.spec.stack for d in stacks}, f"stacks using the fields were not deployed: {using}"
    checked = {d.spec.stack: check_stack(d) for d in stacks}
    problems = {s: p for s, (p, _) in checked.items() if p}
    assert not problems, f"{case}: " + "\n".join(f"{s}: {'; '.join(p)}" for s, p in problems.items())


def test_every_field_was_seen_in_a_container_or_the_deploy_output(
    deployed: dict[str, list[Deployed]],
) -> None:
    seen = {f for stacks in deployed.values() for d in stacks for f in check_stack(d)[1]}
    unseen = FIELDS - seen - set(NOT_AT_DEPLOY)
    assert not unseen, f"no deployed case showed the effect of {sorted(unseen)}"
