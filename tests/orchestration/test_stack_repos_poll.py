"""Stacks whose files live in another git repository, through poll-repo on the test bed's Docker.

Real bare repositories (the synced one and a second one), a real Prefect harness, real containers:
files reach the containers (env and a bind-mounted file read with ``docker exec``), a commit in the
second repository redeploys exactly the stack whose inputs it touched, one fetch per repository per
poll, pinned commits, ``linked_repo`` to a ``[[repo]]``, errors with file:line [field] that apply
nothing, a path leaving that repository refused, and the Komodo-shaped corpus case deployed.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import docker
import pytest

from fleetflow.api.models import DeployView
from fleetflow.errors import ResourceErrors
from fleetflow.runtime import context
from flows.poll_repo import poll_repo
from flows.sync_resources import sync_resources
from tests.support.fleet import container_ids, remove_projects
from tests.support.gitrepo import GitRemote, git

pytestmark = [pytest.mark.docker, pytest.mark.prefect]

CASES = Path(__file__).resolve().parents[1] / "cases"


def _exec(url: str, container: str, *cmd: str) -> str:
    with closing(docker.DockerClient(base_url=url)) as client:
        code, out = client.containers.get(container).exec_run(list(cmd))
    assert code == 0, out
    return bytes(out).decode()


def _env(url: str, container: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in _exec(url, container, "env").splitlines() if "=" in line)


def _compose(image: str, name: str) -> str:
    return (
        f"services:\n  {name}:\n    image: {image}\n    command: [sleep, '3600']\n    init: true\n"
        "    env_file: app.env\n    volumes: ['./conf/app.conf:/etc/app.conf:ro']\n"
    )


def _poll(remote: GitRemote) -> dict[str, Any]:
    result: dict[str, Any] = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"]))
    return result


def _fetches(url: str) -> int:
    return sum(n for key, n in context.repo_cache().fetches.items() if key.startswith(url + "#"))


@pytest.fixture
def names(docker_hosts: dict[str, str]) -> Iterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:6]
    found = {k: f"{k}-{tag}" for k in ("web", "api", "local", "pinned")}
    yield found
    remove_projects(docker_hosts["host1"], list(found.values()))


@pytest.fixture
def apps(tmp_path: Path) -> GitRemote:
    return GitRemote.create(tmp_path / "apps")


def _servers(url: str) -> str:
    return f'[[server]]\nname = "h1"\n[server.config]\naddress = "{url}"\n'


def _stack(name: str, body: str) -> str:
    head = f'[[stack]]\nname = "{name}"\ndeploy = true\n[stack.config]\nserver = "h1"\n'
    return f"{head}auto_pull = false\n{body}\n"


def test_a_second_repository_deploys_and_its_commits_redeploy_exactly_their_stack(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    apps: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    names: dict[str, str],
) -> None:
    url = docker_hosts["host1"]
    web, api, local = names["web"], names["api"], names["local"]
    apps.commit(
        "apps",
        {
            "web/compose.yaml": _compose(testbed_image, "web"),
            "web/app.env": "GREETING=one\n",
            "web/conf/app.conf": "web v1\n",
            "api/compose.yaml": _compose(testbed_image, "api"),
            "api/app.env": "GREETING=api\n",
            "api/conf/app.conf": "api v1\n",
        },
    )
    repo_entry = f'[[repo]]\nname = "apps"\n[repo.config]\nrepo = "{apps.url}"\nbranch = "main"\n'
    remote.commit(
        "fleet",
        {
            "syncs/servers.toml": _servers(url),
            "syncs/repos.toml": repo_entry,
            "syncs/stacks.toml": _stack(web, f'repo = "{apps.url}"\nbranch = "main"\nrun_directory = "web"')
            + _stack(api, 'linked_repo = "apps"\nrun_directory = "api"')
            + _stack(local, 'run_directory = "local"'),
            "local/compose.yaml": _compose(testbed_image, "local"),
            "local/app.env": "GREETING=local\n",
            "local/conf/app.conf": "local\n",
        },
    )
    first = _poll(remote)
    stacks = first["sync"]["stacks"]
    assert {stacks[n]["status"] for n in (web, api, local)} == {"good"}, stacks
    head = git(apps.work, "rev-parse", "HEAD")
    assert (stacks[web]["commit"], stacks[web]["repo"]) == (head, apps.url), stacks[web]
    assert stacks[local]["commit"] == first["commit"]
    assert not stacks[local].get("repo"), "empty: the synced repository"
    ids = {n: container_ids(url, n) for n in (web, api, local)}
    assert _env(url, ids[web]["web"])["GREETING"] == "one"
    assert _exec(url, ids[web]["web"], "cat", "/etc/app.conf") == "web v1\n"
    assert _exec(url, ids[api]["api"], "cat", "/etc/app.conf") == "api v1\n"
    record = context.store().last_good_deploy(web)  # history names that repository and its commit
    assert record is not None
    assert (record.commit, DeployView.of(record).repo) == (head, apps.url)

    before = _fetches(apps.url)
    idle = _poll(remote)
    assert idle == {"changed": False, "commit": first["commit"]}
    assert _fetches(apps.url) - before == 1, "one fetch of the second repository per poll"

    apps.commit("docs only", {"README.md": "not an input of any stack\n"})
    before = _fetches(apps.url)
    untouched = _poll(remote)
    assert untouched["changed"] is False
    assert untouched["sync"]["stacks"] == {}, untouched["sync"]
    assert _fetches(apps.url) - before == 1, "the poll's fetch is reused by the sync"
    assert {n: container_ids(url, n) for n in ids} == ids

    apps.commit("web v2", {"web/conf/app.conf": "web v2\n", "web/app.env": "GREETING=two\n"})
    before = _fetches(apps.url)
    moved = _poll(remote)
    assert moved["changed"] is False, "the synced branch did not move"
    assert set(moved["sync"]["stacks"]) == {web}, moved["sync"]["stacks"]
    assert moved["sync"]["stacks"][web]["status"] == "good"
    assert _fetches(apps.url) - before == 1
    after = {n: container_ids(url, n) for n in ids}
    assert (after[api], after[local]) == (ids[api], ids[local])
    assert after[web]["web"] != ids[web]["web"]
    assert _exec(url, after[web]["web"], "cat", "/etc/app.conf") == "web v2\n"
    assert _env(url, after[web]["web"])["GREETING"] == "two"

    again = _poll(remote)
    assert again == {"changed": False, "commit": first["commit"]}, "cursor advanced after the sync"


def test_a_pinned_commit_deploys_that_commit_until_the_pin_moves(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    apps: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    names: dict[str, str],
) -> None:
    url, pinned = docker_hosts["host1"], names["pinned"]
    files = {"web/compose.yaml": _compose(testbed_image, "web"), "web/app.env": "GREETING=one\n"}
    v1 = apps.commit("v1", {**files, "web/conf/app.conf": "v1\n"})
    v2 = apps.commit("v2", {"web/conf/app.conf": "v2\n"})

    def stacks_toml(commit: str) -> dict[str, str]:
        body = f'repo = "{apps.url}"\ncommit = "{commit}"\nrun_directory = "web"'
        return {"syncs/servers.toml": _servers(url), "syncs/stacks.toml": _stack(pinned, body)}

    remote.commit("pin v1", stacks_toml(v1[:10]))
    first = _poll(remote)["sync"]["stacks"][pinned]
    assert (first["status"], first["commit"]) == ("good", v1), first
    cid = container_ids(url, pinned)["web"]
    assert _exec(url, cid, "cat", "/etc/app.conf") == "v1\n", "the pinned commit, not the head (v2)"

    apps.commit("v3", {"web/conf/app.conf": "v3\n"})
    idle = _poll(remote)
    assert idle == {"changed": False, "commit": idle["commit"]}, "a pinned repository is not followed"
    assert container_ids(url, pinned)["web"] == cid

    remote.commit("pin v2", stacks_toml(v2))
    moved = _poll(remote)["sync"]["stacks"][pinned]
    assert (moved["status"], moved["commit"]) == ("good", v2), moved
    assert _exec(url, container_ids(url, pinned)["web"], "cat", "/etc/app.conf") == "v2\n"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_unreachable_repository_or_escaping_path_is_a_located_error_and_applies_nothing(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    apps: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    names: dict[str, str],
    tmp_path: Path,
) -> None:
    url = docker_hosts["host1"]
    apps.commit("apps", {"web/compose.yaml": _compose(testbed_image, "web"), "web/app.env": "A=1\n"})
    (apps.work / "out").symlink_to("../..")
    apps.commit("a link out of the repository")
    missing = tmp_path / "nowhere.git"
    stacks = (
        _stack(names["web"], f'repo = "{missing}"\nrun_directory = "web"')
        + _stack(names["api"], f'repo = "{apps.url}"\nrun_directory = "../web"')
        + _stack(names["pinned"], f'repo = "{apps.url}"\nrun_directory = "out/etc"')
        + _stack(names["local"], 'run_directory = "local"')
    )
    remote.commit(
        "broken",
        {
            "syncs/servers.toml": _servers(url),
            "syncs/stacks.toml": stacks,
            "local/compose.yaml": _compose(testbed_image, "local"),
            "local/app.env": "A=1\n",
            "local/conf/app.conf": "x\n",
        },
    )
    with pytest.raises(ResourceErrors) as raised:
        _poll(remote)
    text = [str(e) for e in raised.value.errors]
    assert any(
        m.startswith("syncs/stacks.toml:") and "[config.repo]" in m and "cannot be fetched" in m for m in text
    ), text
    assert any(str(missing) in m for m in text), text
    assert any("[config.run_directory]" in m and names["api"] in m and "leaves" in m for m in text), text
    assert any(names["pinned"] in m and "leaves" in m for m in text), text
    store = context.store()
    assert store.list_resources("stack") == [], "nothing is applied"
    assert all(container_ids(url, n) == {} for n in names.values()), "nothing is deployed"
    assert store.get_repo_cursor(remote.url, "main") is None, "the poll retries the commit"


def test_git_account_token_comes_from_outside_git_and_never_lands_in_the_cache(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    apps: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    names: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "tok-" + uuid.uuid4().hex
    files = {"web/compose.yaml": _compose(testbed_image, "web"), "web/app.env": "A=1\n"}
    apps.commit("apps", files)
    body = f'repo = "{apps.url}"\ngit_account = "deploy-bot"\nrun_directory = "web"\n'
    stacks = _stack(names["web"], body)
    remote.commit(
        "fleet", {"syncs/servers.toml": _servers(docker_hosts["host1"]), "syncs/stacks.toml": stacks}
    )
    with pytest.raises(ResourceErrors) as raised:
        asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"], dry_run=True))
    (error,) = raised.value.errors
    assert f"syncs/stacks.toml:{_line_of(stacks, 'git_account = ')} [config.git_account]" in str(error)
    assert "GIT_GITHUB_COM_DEPLOY_BOT" in str(error)

    monkeypatch.setenv("FLEETFLOW_SECRET_GIT_GITHUB_COM_DEPLOY_BOT", token)
    planned = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"], dry_run=True))
    assert "bind source './conf/app.conf'" in planned["invalid"][names["web"]], "checked in its repository"
    apps.commit("the bind-mounted file", {"web/conf/app.conf": "x\n"})
    planned = asyncio.run(sync_resources(repo=remote.url, resource_paths=["syncs"], dry_run=True))
    assert planned["invalid"] == {}
    assert planned["stacks"][names["web"]]["status"] == "would_deploy", planned
    assert planned["stacks"][names["web"]]["repo"] == apps.url
    cache = context.settings().resolved_repo_cache
    for path in cache.rglob("*"):
        if path.is_file() and path.stat().st_size < 1_000_000:
            assert token.encode() not in path.read_bytes(), path


def test_the_komodo_corpus_case_with_stack_repos_deploys(
    prefect_harness: None,
    ff_home: Path,
    remote: GitRemote,
    docker_hosts: dict[str, str],
    testbed_image: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tests/cases/komodo-stack-repos, its github.com and Gitea repositories mapped to local bare ones."""
    url = docker_hosts["host1"]
    case = CASES / "komodo-stack-repos"
    gh, gitea = GitRemote.create(tmp_path / "gh"), GitRemote.create(tmp_path / "gitea")
    gh.copy_tree(case / "remotes" / "apps")
    pin = gh.commit("apps")
    gh.commit("after the pin", {"paperless/config/paperless.env": "PAPERLESS_OCR_LANGUAGE=deu\n"})
    gitea.copy_tree(case / "remotes" / "compose")
    gitea.commit("compose")
    remote.copy_tree(case / "repo")
    for toml in (remote.work / "syncs").glob("*.toml"):
        text = toml.read_text().replace("https://10.0.0.20:8120", url)
        toml.write_text(text.replace("0123456789abcdef0123456789abcdef01234567", pin))
    assert testbed_image == "fleetflow/busybox:latest", "the case's compose files name the test-bed image"
    remote.commit("fleet")
    monkeypatch.setenv(
        "FLEETFLOW_GIT_URL_REWRITE",
        f'{{"https://github.com/example-homelab/apps.git": "{gh.url}", '
        f'"https://git.home.lan/ops/compose.git": "{gitea.url}"}}',
    )
    context.reset()
    projects = ["immich", "paperless", "vaultwarden", "local-tools"]
    remove_projects(url, projects)
    try:
        result = asyncio.run(poll_repo(repo=remote.url, resource_paths=["syncs"], sync_name="homelab"))
        stacks = result["sync"]["stacks"]
        assert {n: stacks[n]["status"] for n in projects} == dict.fromkeys(projects, "good"), stacks
        assert stacks["immich"]["repo"] == "https://github.com/example-homelab/apps.git"
        assert stacks["vaultwarden"]["repo"] == "https://git.home.lan/ops/compose.git"
        assert stacks["paperless"]["commit"] == pin
        immich = container_ids(url, "immich")["immich-server"]
        assert _env(url, immich)["IMMICH_VERSION"] == "release"
        assert _exec(url, immich, "cat", "/etc/immich/hwaccel.yml") == "accel: none\n"
        paperless = container_ids(url, "paperless")["webserver"]
        assert _env(url, paperless)["PAPERLESS_OCR_LANGUAGE"] == "eng", "the pinned commit's env file"
        assert _env(url, container_ids(url, "vaultwarden")["vaultwarden"])["SIGNUPS_ALLOWED"] == "false"
    finally:
        remove_projects(url, projects)
        shutil.rmtree(tmp_path / "gh", ignore_errors=True)
