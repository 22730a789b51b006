"""Reading resource files from a working tree and from a git commit (real git repositories)."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from fleetflow.errors import GitError
from fleetflow.resources import GitTreeSource, WorkTreeSource, load_resources, validate

SERVERS = '[[server]]\nname = "local"\n'
STACK = '[[stack]]\nname = "web"\n[stack.config]\nserver = "local"\nrun_directory = "{run_dir}"\n'


def _commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    repo.index.add(list(files))
    return str(repo.index.commit(message).hexsha)


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    r = git.Repo.init(tmp_path / "repo")
    with r.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.invalid")
    return r


def test_git_tree_reads_files_at_the_given_commit(repo: git.Repo) -> None:
    first = _commit(repo, {"syncs/servers.toml": SERVERS, "app/compose.yaml": "services: {}\n"}, "one")
    _commit(repo, {"syncs/stacks.toml": STACK.format(run_dir="app")}, "two")
    old = load_resources(GitTreeSource(repo, first), ["syncs"])
    new = validate(load_resources(GitTreeSource(repo, "HEAD"), ["syncs"]))
    assert set(old.resources.stacks) == set()
    assert set(new.resources.stacks) == {"web"}
    assert new.errors == []
    assert new.files == ["syncs/servers.toml", "syncs/stacks.toml"]


def test_git_tree_symlink_leaving_the_repo_is_an_error(repo: git.Repo, tmp_path: Path) -> None:
    root = Path(repo.working_tree_dir or ".")
    _commit(repo, {"syncs/r.toml": SERVERS + STACK.format(run_dir="link/app")}, "one")
    (root / "link").symlink_to("../..")
    (root / "inside").symlink_to("syncs")
    repo.index.add(["link", "inside"])
    repo.index.commit("links")
    source = GitTreeSource(repo)
    assert source.resolve("inside/r.toml") == "syncs/r.toml"
    assert source.read_text("inside/r.toml").startswith("[[server]]")
    assert source.resolve("link/app") is None
    errors = [str(e) for e in validate(load_resources(source, ["syncs"])).errors]
    assert errors == [
        "syncs/r.toml:7 [config.run_directory]: run_directory 'link/app' of stack 'web' leaves the "
        "repository. Use a path relative to the repository root, without `..` or symlinks out."
    ]


def test_worktree_symlink_leaving_the_repo_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "wt"
    (root / "syncs").mkdir(parents=True)
    (root / "syncs" / "r.toml").write_text(SERVERS + STACK.format(run_dir="out"))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "compose.yaml").write_text("services: {}\n")
    (root / "out").symlink_to(tmp_path / "elsewhere")
    loaded = validate(load_resources(WorkTreeSource(root), ["syncs"]))
    assert [e.location.field for e in loaded.errors] == ["config.run_directory"]
    assert "leaves the repository" in str(loaded.errors[0])


def test_unknown_commit_is_a_git_error(repo: git.Repo) -> None:
    _commit(repo, {"a.toml": SERVERS}, "one")
    with pytest.raises(GitError, match="cannot read commit"):
        GitTreeSource(repo, "0" * 40)


def test_resource_paths_missing_or_escaping_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(SERVERS)
    loaded = load_resources(tmp_path, ["a.toml", "nope", "../up"])
    assert [str(e) for e in loaded.errors] == [
        "nope [resource_path]: resource_path 'nope' does not exist. "
        "Check the path in resourcesync.toml (relative to the repository root).",
        "../up [resource_path]: resource_path '../up' leaves the repository. "
        "Use a path relative to the repository root, without `..` or symlinks out.",
    ]
    assert set(loaded.resources.servers) == {"local"}
