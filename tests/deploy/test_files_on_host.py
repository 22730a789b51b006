"""files_on_host = true: compose files read on the host, fingerprinted there, never written by fleetflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetflow.deploy import DeployStatus, deploy_if_changed
from fleetflow.hosts import LocalHost
from tests.deploy.conftest import SpecFactory, compose_yaml, container_env, container_ids

pytestmark = pytest.mark.docker


def _read(host: LocalHost, container_id: str, path: str) -> str:
    with host.docker() as client:
        code, out = client.containers.get(container_id).exec_run(["cat", path])
    assert code == 0, out
    return bytes(out).decode()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


async def test_host_files_deploy_and_a_host_edit_recreates_only_its_service(
    host: LocalHost, history, make_spec: SpecFactory, project: str, testbed_image: str, tmp_path: Path
) -> None:
    stack_dir = tmp_path / "on-host" / "app"
    (stack_dir / "conf").mkdir(parents=True)
    web = "volumes: ['./conf/app.conf:/etc/app.conf:ro']\nenvironment:\n  GREETING: ${GREETING:-none}"
    (stack_dir / "compose.yaml").write_bytes(compose_yaml(testbed_image, {"web": web, "worker": ""}))
    (stack_dir / "conf/app.conf").write_text("one\n")
    before_tree = _tree(stack_dir)
    spec = make_spec(
        {}, files_on_host=True, run_directory=str(stack_dir), auto_pull=False, environment={"GREETING": "hi"}
    )

    first = await deploy_if_changed(host, spec, history)
    assert first.status is DeployStatus.GOOD, first.reason
    ids = container_ids(host, project)
    assert _read(host, ids["web"], "/etc/app.conf") == "one\n"
    assert container_env(host, project, "web")["GREETING"] == "hi"
    assert _tree(stack_dir) == before_tree, "fleetflow must not write into the host's stack directory"
    env_file = Path(host.stacks_root) / project / ".fleetflow/stack.env"
    assert env_file.stat().st_mode & 0o777 == 0o600

    same = await deploy_if_changed(host, spec.model_copy(update={"commit": "c2"}), history)
    assert same.status is DeployStatus.SKIPPED, same.reason

    (stack_dir / "conf/app.conf").write_text("two\n")
    edited = await deploy_if_changed(host, spec.model_copy(update={"commit": "c3"}), history)
    assert edited.status is DeployStatus.GOOD, edited.reason
    assert edited.reason.startswith("inputs changed")
    after = container_ids(host, project)
    assert after["worker"] == ids["worker"]
    assert after["web"] != ids["web"]
    assert _read(host, after["web"], "/etc/app.conf") == "two\n"


@pytest.mark.parametrize(
    ("run_directory", "message"),
    [("../elsewhere", "without '..'"), ("/", "must not be /"), ("missing-dir", "not found on host1")],
)
async def test_refused_or_missing_host_directories_fail_before_touching_anything(
    host: LocalHost, history, make_spec: SpecFactory, run_directory: str, message: str
) -> None:
    spec = make_spec({}, files_on_host=True, run_directory=run_directory)
    result = await deploy_if_changed(host, spec, history)
    assert result.status is DeployStatus.FAILED
    assert message in result.reason
    assert "running containers left untouched" in result.reason


async def test_dry_run_checks_host_files_or_says_the_host_is_unreachable(
    docker_hosts: dict[str, str], testbed_image: str, tmp_path: Path
) -> None:
    from fleetflow.resources import NoSecrets, interpolate, load_resources, validate
    from fleetflow.runtime.host_checks import UNREACHABLE, check_host_files
    from fleetflow.runtime.snapshot import worktree_snapshot
    from fleetflow.settings import Settings

    present = tmp_path / "present"
    present.mkdir()
    (present / "compose.yaml").write_bytes(compose_yaml(testbed_image, {"web": "env_file: web.env"}))
    (present / "web.env").write_text("A=1\n")
    servers = {"up": docker_hosts["host1"], "down": f"unix://{tmp_path}/no-such-docker.sock"}
    stacks = {"ok": ("up", present), "missing": ("up", tmp_path / "absent"), "far": ("down", present)}
    toml = "".join(
        f'[[server]]\nname = "{n}"\n[server.config]\naddress = "{a}"\n' for n, a in servers.items()
    )
    toml += "".join(
        f'[[stack]]\nname = "{n}"\n[stack.config]\nserver = "{s}"\nfiles_on_host = true\n'
        f'run_directory = "{d}"\n'
        for n, (s, d) in stacks.items()
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "resources.toml").write_text(toml)
    snapshot = worktree_snapshot(repo)
    loaded = validate(load_resources(snapshot.source, [""]))
    loaded.raise_for_errors()
    settings = Settings(home=tmp_path / "ff")
    checks = await check_host_files(interpolate(loaded, NoSecrets()), snapshot, settings, list(stacks))
    assert checks["ok"].startswith("ok: compose.yaml and 2 file(s)"), checks
    assert checks["missing"].startswith("error:"), checks
    assert "not found on up" in checks["missing"], checks
    assert checks["far"] == UNREACHABLE
