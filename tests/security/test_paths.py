"""Findings 1-3 without Docker: :func:`fleetflow.paths.confine`, load-time checks of stack paths
and names, and a working-tree repository whose symlinks point out of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fleetflow.paths import PathEscape, confine, lexical
from fleetflow.resources import load_resources
from fleetflow.resources.names import slugify
from fleetflow.resources.sources import WorkTreeSource
from fleetflow.runtime.snapshot import worktree_snapshot

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a/b", "a/b"), ("./a//b/", "a/b"), ("", ""), (".", ""), ("a/../b", "b"), ("/etc", None),
     ("..", None), ("../x", None), ("a/../../x", None), ("~/x", None), ("a\nb", None)],
)  # fmt: skip
def test_lexical(value: str, expected: str | None) -> None:
    assert lexical(value) == expected


def test_confine_follows_symlinks_but_deletes_do_not_follow_the_last(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "dir-link")
    os.symlink(outside / "f", root / "file-link")
    assert confine(root, "a/b", purpose="p") == f"{root}/a/b"
    with pytest.raises(PathEscape, match=r"stack s: env_file_path = '/etc/passwd' is absolute"):
        confine(root, "/etc/passwd", purpose="stack s: env_file_path")
    with pytest.raises(PathEscape, match="symlink"):
        confine(root, "dir-link/x", purpose="p")
    with pytest.raises(PathEscape, match="symlink"):
        confine(root, "file-link", purpose="p")
    assert confine(root, "file-link", purpose="p", follow_last=False) == f"{root}/file-link"
    with pytest.raises(PathEscape):
        confine(root, "dir-link/x", purpose="p", follow_last=False)


def test_worktree_symlinks_out_of_the_repository_are_not_read(tmp_path: Path) -> None:
    repo, secret = tmp_path / "repo", tmp_path / "secret.txt"
    repo.mkdir()
    secret.write_text("TOP-SECRET\n")
    (repo / "compose.yaml").write_text("services: {}\n")
    os.symlink(secret, repo / "leak.env")
    assert WorkTreeSource(repo).list_files() == ["compose.yaml"]
    snapshot = worktree_snapshot(repo)
    with pytest.raises(PathEscape):
        snapshot.read_bytes("leak.env")
    with pytest.raises(PathEscape):
        WorkTreeSource(repo).read_text("leak.env")


def _load(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "r.toml").write_text('[[server]]\nname = "s"\n\n' + body)
    return [str(e) for e in load_resources(tmp_path).errors]


@pytest.mark.parametrize(
    ("field", "value"),
    [("env_file_path", '"/srv/app/secrets.env"'), ("env_file_path", '"../../.."'),
     ("additional_env_files", '["/etc/shadow"]'), ("additional_env_files", '"../../../../root/.ssh/id_rsa"'),
     ("config_files", '[{ path = "../../etc/passwd" }]'), ("pre_deploy", '{ path = "/", command = "true" }')],
)  # fmt: skip
def test_stack_paths_out_of_the_repository_are_refused_at_load(
    tmp_path: Path, field: str, value: str
) -> None:
    errors = _load(tmp_path, f'[[stack]]\nname = "app"\n[stack.config]\nserver = "s"\n{field} = {value}\n')
    assert len(errors) == 1, errors
    assert errors[0].startswith("r.toml:"), errors
    assert field in errors[0]
    assert "leaves the repository" in errors[0]


@pytest.mark.parametrize("name", ["..", "a/b", "my stack", "$(touch /tmp/x)", ".hidden", "x" * 101, ""])
def test_stack_names_that_cannot_be_a_directory_are_refused_at_load(tmp_path: Path, name: str) -> None:
    errors = _load(tmp_path, f'[[stack]]\nname = "{name}"\n[stack.config]\nserver = "s"\n')
    assert len(errors) == 1, errors
    assert errors[0].startswith("r.toml:5 [name]"), errors


@pytest.mark.parametrize(
    ("name", "project", "suggested"),
    [("My.App", "", "my-app"), ("web", "MyProject", "myproject"), ("web", "a b", "a-b")],
)
def test_compose_project_names_are_checked_with_a_suggestion(
    tmp_path: Path, name: str, project: str, suggested: str
) -> None:
    extra = f'project_name = "{project}"\n' if project else ""
    errors = _load(tmp_path, f'[[stack]]\nname = "{name}"\n[stack.config]\nserver = "s"\n{extra}')
    assert len(errors) == 1, errors
    assert f"project_name = '{suggested}'" in errors[0], errors
    assert errors[0].startswith("r.toml:"), errors


def test_good_names_load(tmp_path: Path) -> None:
    assert _load(tmp_path, '[[stack]]\nname = "Web_1-prod"\n[stack.config]\nserver = "s"\n') == []
    assert slugify("$(touch /tmp/x)") == "touch-tmp-x"
