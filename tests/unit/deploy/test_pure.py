"""Pure parts of the deploy engine: spec validation, env rendering, layout, fingerprints, drift."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from fleetflow.deploy import DeployResult, DeploySpec, DeployStatus, InMemoryHistory, ServiceState, drift
from fleetflow.deploy.fingerprint import compute_fingerprint, inputs_digest, service_fingerprints
from fleetflow.deploy.materialize import layout_for, planned_files, render_env
from fleetflow.deploy.output import MASK, Masker, OutputLog
from fleetflow.deploy.steps import expected_services, labels_override
from fleetflow.errors import DeployFailed

BASE = {"stack": "web", "server": "h1", "commit": "c1", "files": {"compose.yaml": b"services: {}\n"}}
MODEL = {"services": {"a": {"image": "img:1", "environment": {"X": "1"}}, "b": {"image": "img:2"}}}


def spec(**kw: object) -> DeploySpec:
    return DeploySpec.model_validate(BASE | kw)


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "a/../../x"])
def test_files_outside_the_repo_are_refused(path: str) -> None:
    with pytest.raises(ValidationError, match="relative to the repo root"):
        spec(files={path: b""})


def test_project_defaults_to_lowercased_stack() -> None:
    assert spec(stack="Web").project_name == "web"
    assert spec(project="other").project_name == "other"


def test_render_env_quotes_only_what_needs_it() -> None:
    rendered = render_env({"A": "plain-1", "B": "two words", "C": "it's", "D": "l1\nl2"}).decode()
    assert rendered.splitlines() == ["A=plain-1", "B='two words'", 'C="it\'s"', 'D="l1\\nl2"']
    assert render_env({}) == b""


def test_layout_finds_the_default_compose_file_and_env_files() -> None:
    s = spec(
        files={"apps/x/docker-compose.yml": b"", "shared/a.env": b""},
        run_directory="apps/x",
        additional_env_files=("../../shared/a.env",),
        environment={"K": "v"},
    )
    layout = layout_for(s, root=__import__("pathlib").PurePosixPath("/srv"))
    assert layout.compose_files == ("docker-compose.yml",)
    assert layout.env_files == ("../../shared/a.env", ".env")
    assert layout.cwd == "/srv/web/apps/x"
    public, private = planned_files(s, layout)
    assert private == {"apps/x/.env": b"K=v\n"}
    assert "apps/x/.env" not in public


def test_inputs_digest_ignores_commit_and_how_but_not_what() -> None:
    base = inputs_digest(spec())
    assert inputs_digest(spec(commit="c2", timeout_s=5, auto_pull=False, reclone=True)) == base
    assert inputs_digest(spec(environment={"A": "1"})) != base
    assert inputs_digest(spec(files={"compose.yaml": b"services: {}\n", "x.env": b""})) != base
    assert inputs_digest(spec(extra_args=("--build",))) != base


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=8), max_size=4), st.text(max_size=8))
def test_fingerprint_changes_with_any_variable_value(env: dict[str, str], extra: str) -> None:
    s = spec(environment=env)
    fp = compute_fingerprint(s, MODEL, {"img:1": "sha256:1"})
    assert fp == compute_fingerprint(s, MODEL, {"img:1": "sha256:1"})
    changed = spec(environment=env | {"NEW_KEY": extra})
    assert compute_fingerprint(changed, MODEL, {"img:1": "sha256:1"}) != fp
    assert compute_fingerprint(s, MODEL, {"img:1": "sha256:2"}) != fp


def test_service_fingerprints_change_only_for_the_changed_service() -> None:
    before = service_fingerprints(MODEL, {"img:1": "i1", "img:2": "i2"})
    model = {"services": {**MODEL["services"], "a": {"image": "img:1", "environment": {"X": "2"}}}}
    after = service_fingerprints(model, {"img:1": "i1", "img:2": "i2"})
    assert after["b"] == before["b"]
    assert after["a"] != before["a"]
    assert service_fingerprints(MODEL, {"img:1": "i1", "img:2": "NEW"})["b"] != before["b"]


def test_labels_override_keeps_the_commit_of_unchanged_services() -> None:
    current = [
        ServiceState(service="a", container_id="1", state="running", fingerprint="fa", commit="old"),
        ServiceState(service="b", container_id="2", state="running", fingerprint="stale", commit="old"),
    ]
    text = labels_override(spec(commit="new"), {"a": "fa", "b": "fb"}, current).decode()
    assert "fleetflow.commit: old" in text.split("  b:")[0]
    assert "fleetflow.commit: new" in text.split("  b:")[1]


def test_expected_services_skip_ignored_and_zero_replicas() -> None:
    model = {"services": {"a": {}, "b": {"deploy": {"replicas": 0}}, "c": {"scale": 0}, "d": {}}}
    assert expected_services(model, ["d"]) == ["a"]


def test_drift_reports_missing_stopped_foreign_and_extra_containers() -> None:
    states = [
        ServiceState(service="a", container_id="1", state="running", fingerprint="fa"),
        ServiceState(service="b", container_id="2", state="exited", exit_code=1, fingerprint="fb"),
        ServiceState(service="c", container_id="3", state="running", fingerprint="other"),
        ServiceState(service="x", container_id="4", state="running"),
    ]
    found = drift({"a": "fa", "b": "fb", "c": "fc", "d": "fd"}, states)
    assert found == [
        "service b exited (exit code 1)",
        "service c runs another definition (fingerprint label differs)",
        "service d has no container",
        "service x is not part of the last good deploy",
    ]
    assert drift({"a": "fa"}, states[:1]) == []


def test_masker_and_output_log_mask_streamed_lines_and_keep_a_tail() -> None:
    seen: list[str] = []
    log = OutputLog(Masker(["pw", "pw-long", ""]), seen.append, tail=2)
    for text in ["a pw-long b", "pw", "x"]:
        log.line(text)
    assert seen == [f"a {MASK} b", MASK, "x"]
    assert log.tail == (MASK, "x")
    assert log.count == 3


def test_history_returns_the_last_good_and_failed_results_raise() -> None:
    history = InMemoryHistory()
    good = DeployResult(host="h", stack="s", project="s", status=DeployStatus.GOOD, commit="c1")
    bad = DeployResult(host="h", stack="s", project="s", status=DeployStatus.FAILED, reason="boom")
    history.record(good)
    history.record(bad)
    assert history.last_good("s") == good
    assert history.last_good("other") is None
    assert good.raise_for_status() is good
    with pytest.raises(DeployFailed, match="boom"):
        bad.raise_for_status()
