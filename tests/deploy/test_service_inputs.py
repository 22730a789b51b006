"""20 commits over 10 stacks: exactly the services whose files changed are recreated.

Real git repository, real resource loading and deploy specs, real Docker (test-bed host1).
Each commit is followed by ``deploy_if_changed`` on every stack; container ids and StartedAt
of every container are compared before and after. At the end every container's environment
and mounted files (read inside it) equal git HEAD.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetflow.deploy import DeployStatus, deploy_if_changed
from fleetflow.git import RepoCache
from fleetflow.hosts import LocalHost
from fleetflow.resources import NoSecrets, interpolate, load_resources, validate
from fleetflow.runtime.snapshot import git_snapshot
from fleetflow.runtime.specs import deploy_spec
from tests.deploy.conftest import SLEEPER
from tests.support.gitrepo import GitRemote

pytestmark = pytest.mark.docker

Key = tuple[str, str]  # (stack index "sNN", service)


def _svc(image: str, name: str, lines: list[str]) -> list[str]:
    out = [f"  {name}:", f"    image: {image}", "    init: false", f"    command: {SLEEPER}"]
    return out + [f"    {line}" for line in lines]


def _compose(image: str, a: list[str], b: list[str], tail: list[str] | None = None) -> str:
    return "\n".join(["services:", *_svc(image, "a", a), *_svc(image, "b", b), *(tail or [])]) + "\n"


class Repo:
    """The test repository's tree (as text) and the compose knobs that commits turn."""

    def __init__(self, remote: GitRemote, image: str, prefix: str) -> None:
        self.remote, self.image, self.prefix = remote, image, prefix
        self.knob: dict[Key, str] = {(f"s{i:02d}", s): "v0" for i in range(10) for s in "ab"}
        self.tree: dict[str, str] = {
            "README.md": "fleet\n",
            "common.env": "SHARED=one\n",
            "s03/app.env": "APP=one\n",
            "s04/conf/app.conf": "conf one\n",
            "s05/html/index.txt": "index one\n",
            "s05/html/more.txt": "more one\n",
            "s06/cfg.txt": "cfg one\n",
        }
        stacks = []
        for i in range(10):
            stacks.append(
                f'[[stack]]\nname = "{prefix}-s{i:02d}"\n[stack.config]\nserver = "host1"\n'
                f'run_directory = "s{i:02d}"\nauto_pull = false\n'
            )
        self.tree["resources.toml"] = '[[server]]\nname = "host1"\n\n' + "\n".join(stacks)
        self.render()

    def render(self) -> None:
        for i in range(10):
            s = f"s{i:02d}"
            a = [f"environment: {{KNOB: {self.knob[(s, 'a')]}}}"]
            b = [f"environment: {{KNOB: {self.knob[(s, 'b')]}}}"]
            tail: list[str] = []
            if i <= 2:
                a.append("env_file: ../common.env")
            elif i == 3:
                b.append("env_file: app.env")
            elif i == 4:
                a.append("volumes: ['./conf/app.conf:/etc/app.conf:ro']")
            elif i == 5:
                b.append("volumes: ['./html:/srv/html:ro']")
            elif i == 6:
                a.append("configs: [{source: cfg, target: /etc/cfg.txt}]")
                tail = ["configs:", "  cfg:", "    file: ./cfg.txt"]
            self.tree[f"{s}/compose.yaml"] = _compose(self.image, a, b, tail)

    def commit(self, message: str, edits: dict[str, str | None], knobs: dict[Key, str]) -> str:
        self.knob.update(knobs)
        for path, text in edits.items():
            if text is None:
                self.tree.pop(path)
                (self.remote.work / path).unlink()
            else:
                self.tree[path] = text
        self.render()
        return self.remote.commit(message, dict(self.tree))


# (message, file edits, compose knob edits, expected recreated services)
Step = tuple[str, dict[str, str | None], dict[Key, str], set[Key]]
COMMON = {("s00", "a"), ("s01", "a"), ("s02", "a")}
STEPS: list[Step] = [
    ("s07 compose", {}, {("s07", "a"): "v1"}, {("s07", "a")}),
    ("shared env", {"common.env": "SHARED=two\n"}, {}, COMMON),
    ("readme", {"README.md": "fleet 2\n"}, {}, set()),
    ("stack env file", {"s03/app.env": "APP=two\n"}, {}, {("s03", "b")}),
    ("file bind", {"s04/conf/app.conf": "conf two\n"}, {}, {("s04", "a")}),
    ("dir bind", {"s05/html/index.txt": "index two\n"}, {}, {("s05", "b")}),
    ("config file", {"s06/cfg.txt": "cfg two\n"}, {}, {("s06", "a")}),
    ("s08 compose", {}, {("s08", "b"): "v1"}, {("s08", "b")}),
    ("stack readme", {"s07/README.md": "about s07\n"}, {}, set()),
    ("dir bind add", {"s05/html/new.txt": "new one\n"}, {}, {("s05", "b")}),
    (
        "shared + s09",
        {"common.env": "SHARED=three\nEXTRA=x\n"},
        {("s09", "a"): "v1"},
        COMMON | {("s09", "a")},
    ),
    (
        "file bind + env file",
        {"s04/conf/app.conf": "conf three\n", "s03/app.env": "APP=three\n"},
        {},
        {("s04", "a"), ("s03", "b")},
    ),
    ("readmes", {"README.md": "fleet 3\n", "s02/README.md": "about s02\n"}, {}, set()),
    (
        "config + dir",
        {"s06/cfg.txt": "cfg three\n", "s05/html/index.txt": "index three\n"},
        {},
        {("s06", "a"), ("s05", "b")},
    ),
    ("s01 compose", {}, {("s01", "b"): "v1"}, {("s01", "b")}),
    ("dir bind remove", {"s05/html/more.txt": None}, {}, {("s05", "b")}),
    ("s08 both", {}, {("s08", "a"): "v1", ("s08", "b"): "v2"}, {("s08", "a"), ("s08", "b")}),
    ("shared again", {"common.env": "SHARED=four\n"}, {}, COMMON),
    (
        "file bind + readme",
        {"s04/conf/app.conf": "conf four\n", "s04/README.md": "s04\n"},
        {},
        {("s04", "a")},
    ),
    ("s09 + env file", {"s03/app.env": "APP=four\n"}, {("s09", "b"): "v1"}, {("s09", "b"), ("s03", "b")}),
]


def containers(host: LocalHost, prefix: str) -> dict[Key, tuple[str, str]]:
    """(sNN, service) -> (container id, StartedAt) for every container of the test's projects."""
    out: dict[Key, tuple[str, str]] = {}
    with host.docker() as client:
        for c in client.containers.list(all=True, filters={"label": "com.docker.compose.project"}):
            project = c.labels["com.docker.compose.project"]
            if project.startswith(prefix + "-s"):
                started = client.api.inspect_container(c.id)["State"]["StartedAt"]
                key = (project.removeprefix(prefix + "-"), c.labels["com.docker.compose.service"])
                assert key not in out, f"two containers for {key}"
                out[key] = (c.id, started)
    return out


def _env_file(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def expected_state(repo: Repo) -> dict[Key, tuple[dict[str, str], dict[str, str]]]:
    """(sNN, service) -> (environment subset, {path in container: content}) as of git HEAD."""
    out: dict[Key, tuple[dict[str, str], dict[str, str]]] = {}
    for (s, svc), knob in repo.knob.items():
        env, files = {"KNOB": knob}, {}
        i = int(s[1:])
        if svc == "a" and i <= 2:
            env |= _env_file(repo.tree["common.env"])
        if (s, svc) == ("s03", "b"):
            env |= _env_file(repo.tree["s03/app.env"])
        if (s, svc) == ("s04", "a"):
            files["/etc/app.conf"] = repo.tree["s04/conf/app.conf"]
        if (s, svc) == ("s05", "b"):
            for path, text in repo.tree.items():
                if path.startswith("s05/html/"):
                    files["/srv/html/" + path.removeprefix("s05/html/")] = text
        if (s, svc) == ("s06", "a"):
            files["/etc/cfg.txt"] = repo.tree["s06/cfg.txt"]
        out[(s, svc)] = (env, files)
    return out


def read_inside(host: LocalHost, container_id: str, argv: list[str]) -> str:
    with host.docker() as client:
        code, output = client.containers.get(container_id).exec_run(argv)
    assert code == 0, f"{argv} in {container_id[:12]}: {output!r}"
    return bytes(output).decode()


@pytest.fixture
def repo(tmp_path: Path, testbed_image: str, project: str) -> Iterator[Repo]:
    remote = GitRemote.create(tmp_path / "git")
    return Repo(remote, testbed_image, project)


async def test_twenty_commits_recreate_exactly_the_services_whose_inputs_changed(
    host: LocalHost, history, repo: Repo, project: str, tmp_path: Path
) -> None:
    cache = RepoCache(tmp_path / "cache")

    async def deploy_all(commit: str) -> None:
        snapshot = git_snapshot(cache, repo.remote.url, commit=commit)
        loaded = validate(load_resources(snapshot.source, [""]))
        loaded.raise_for_errors()
        desired = interpolate(loaded, NoSecrets())
        for i in range(10):
            spec = deploy_spec(f"{project}-s{i:02d}", desired, snapshot, timeout_s=60)
            result = await deploy_if_changed(host, spec.model_copy(update={"settle_s": 0.2}), history)
            assert result.status in (DeployStatus.GOOD, DeployStatus.SKIPPED), result.reason

    started = time.monotonic()
    await deploy_all(repo.remote.commit("initial", dict(repo.tree)))
    before = containers(host, project)
    assert len(before) == 20
    expected_all: set[tuple[int, Key]] = set()
    actual_all: set[tuple[int, Key]] = set()
    for n, (message, edits, knobs, expected) in enumerate(STEPS, 1):
        await deploy_all(repo.commit(message, edits, knobs))
        after = containers(host, project)
        assert after.keys() == before.keys(), f"commit {n} ({message}): services appeared or vanished"
        changed = {k for k in after if after[k] != before[k]}
        expected_all |= {(n, k) for k in expected}
        actual_all |= {(n, k) for k in changed}
        before = after
    hits = len(expected_all & actual_all)
    precision = hits / len(actual_all) if actual_all else 1.0
    recall = hits / len(expected_all)
    unneeded = sorted(actual_all - expected_all)
    print(
        f"\nservice inputs: {len(STEPS)} commits x 10 stacks in {time.monotonic() - started:.1f} s: "
        f"precision {precision:.0%}, recall {recall:.0%}, unneeded restarts {len(unneeded)}"
    )
    assert not unneeded, f"restarted without a changed input: {unneeded}"
    assert recall == 1.0, f"not recreated: {sorted(expected_all - actual_all)}"
    assert precision == 1.0

    for key, (env, files) in expected_state(repo).items():
        container_id = before[key][0]
        seen = _env_file(read_inside(host, container_id, ["env"]))
        assert {k: seen.get(k) for k in env} == env, f"{key} environment differs from HEAD"
        for path, text in files.items():
            assert read_inside(host, container_id, ["cat", path]) == text, f"{key}: {path} differs"
        if key == ("s05", "b"):
            listed = read_inside(host, container_id, ["ls", "/srv/html"]).split()
            assert sorted(listed) == sorted(p.rsplit("/", 1)[1] for p in files)
