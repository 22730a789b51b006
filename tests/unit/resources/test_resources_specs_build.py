"""A dry run that passes never hides a deploy that cannot start: for every repository that validates,
the deploy spec of every stack it deploys from its own files builds (all files resolved).

Checked on every golden case of ``tests/cases`` and on repositories Hypothesis generates.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetflow.errors import ResourceErrors
from fleetflow.resources import Desired, EnvSecrets, interpolate, load_resources, validate
from fleetflow.resources.stack_source import stack_sources
from fleetflow.runtime.snapshot import worktree_snapshot
from fleetflow.runtime.specs import deploy_spec

CASES = Path(__file__).resolve().parents[2] / "cases"
COMPOSE = "services:\n  app:\n    image: fleetflow/busybox:latest\n"


def _desired(root: Path, case: dict[str, Any]) -> Desired | None:
    """Load, validate and interpolate as a sync does; None when the repository does not validate."""
    secrets = EnvSecrets(case.get("secrets", {}), prefix="")
    loaded = validate(
        load_resources(root, case.get("resource_paths", [""])),
        repo_name=case.get("repo_name"),
        secrets=secrets,
    )
    if loaded.errors:
        return None
    try:
        return interpolate(loaded, secrets)
    except ResourceErrors:
        return None


def _deployed_from_here(desired: Desired, repo_name: str | None) -> list[str]:
    """Stacks whose files come from this repository (not another [[repo]], not already on the host)."""
    other = stack_sources(desired.resources, repo_name)
    return [
        name
        for name, stack in desired.stacks.items()
        if not (stack.template or stack.config.files_on_host or name in other)
    ]


def _assert_specs_build(root: Path, case: dict[str, Any]) -> int:
    desired = _desired(root, case)
    if desired is None:
        return 0
    snapshot = worktree_snapshot(root)
    built = 0
    for name in _deployed_from_here(desired, case.get("repo_name")):
        spec = deploy_spec(name, desired, snapshot)
        compose = [f"{spec.run_directory}/{f}".lstrip("/") for f in spec.file_paths]
        assert all(path in spec.files for path in compose), (name, compose, sorted(spec.files))
        built += 1
    return built


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if (p / "case.toml").exists()))
def test_every_validating_case_builds_its_deploy_specs(name: str, tmp_path: Path) -> None:
    case = tomllib.loads((CASES / name / "case.toml").read_text())
    root = tmp_path / "repo"
    if "base" in case:
        shutil.copytree(CASES / case["base"] / "repo", root)
    shutil.copytree(CASES / name / "repo", root, dirs_exist_ok=True)
    _assert_specs_build(root, case)


def test_the_corpus_builds_many_specs(tmp_path: Path) -> None:
    """The property is not vacuous: the big Komodo-shaped cases validate and build every stack."""
    case = tomllib.loads((CASES / "komodo-fleet-112" / "case.toml").read_text())
    shutil.copytree(CASES / "komodo-fleet-112" / "repo", tmp_path / "repo")
    assert _assert_specs_build(tmp_path / "repo", case) == 112


ENV_LINES = st.sampled_from(
    ["A=1", "B: two", "- C=3", "- D: four", "export E=5", "# note", "// note", "", '"F=six"', "G = [[V]]"]
)


@st.composite
def repositories(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, Any]]:
    """A small Komodo-shaped repository: servers, per-host stack files, compose dirs, some missing."""
    servers = draw(st.lists(st.sampled_from(["nas", "pi", "vps"]), min_size=1, max_size=3, unique=True))
    files = {"syncs/servers.toml": "".join(f'[[server]]\nname = "{s}"\n' for s in servers)}
    names = st.sampled_from(["web", "db", "cache", "proxy"])
    apps = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    for app in apps:
        if draw(st.booleans()) or app == apps[0]:
            name = draw(st.sampled_from(["compose.yaml", "docker-compose.yml"]))
            files[f"stacks/{app}/{name}"] = COMPOSE
    for i, app in enumerate(apps):
        server = draw(st.sampled_from([*servers, "ghost"]))
        env = "\n".join(draw(st.lists(ENV_LINES, max_size=5)))
        inline = draw(st.booleans()) and i % 2 == 1
        body = f'file_contents = """\n{COMPOSE}"""\n' if inline else f'run_directory = "stacks/{app}"\n'
        deploy = draw(st.sampled_from(["", "deploy = true\n", "deploy = false\n"]))
        files[f"syncs/stacks-{i}.toml"] = (
            f'[[stack]]\nname = "{app}"\n{deploy}[stack.config]\nserver = "{server}"\n{body}'
            f'environment = """\n{env}\n"""\n'
        )
    secrets = {"V": "value"} if draw(st.booleans()) else {}
    return files, {"resource_paths": ["syncs"], "secrets": secrets}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(repo=repositories())
def test_generated_repositories_that_validate_build_their_specs(
    repo: tuple[dict[str, str], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    files, case = repo
    root = tmp_path_factory.mktemp("gen")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _assert_specs_build(root, case)
