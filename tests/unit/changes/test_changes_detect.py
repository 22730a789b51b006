"""detect_changes: reasons per stack for paths, variables and config fields; nothing else flagged."""

from __future__ import annotations

from fleetflow.changes import FULL_COMPARISON, StackInputs, detect_changes

WEB = StackInputs(
    "web", frozenset({"web/compose.yaml", "common.env"}), frozenset({"web/"}), "h1", frozenset({"DB_HOST"})
)
DB = StackInputs("db", frozenset({"db/compose.yaml"}), frozenset({"db/", "shared/certs/"}), "h2", frozenset())


def test_paths_map_to_stacks_with_reasons() -> None:
    got = detect_changes([WEB, DB], ["common.env", "shared/certs/ca.pem", "README.md", "web/x/y.txt"])
    assert got == {
        "web": ["common.env changed", "web/x/y.txt changed"],
        "db": ["shared/certs/ca.pem changed"],
    }


def test_unrelated_change_flags_nothing() -> None:
    assert detect_changes([WEB, DB], ["README.md", "webby/compose.yaml", "shared/certs"]) == {}


def test_variable_hash_change_flags_users_only() -> None:
    got = detect_changes([WEB, DB], [], old_variables={"DB_HOST": "a", "X": "1"}, new_variables={"X": "2"})
    assert got == {"web": ["variable DB_HOST changed"]}


def test_config_fields_compared_and_added_stacks() -> None:
    old = {"web": {"environment": "A=1", "server": "h1"}}
    new = {"web": {"environment": "A=2", "server": "h1", "auto_pull": False}, "db": {"server": "h2"}}
    got = detect_changes([WEB, DB], [], old_configs=old, new_configs=new)
    assert got == {
        "web": ["stack config field auto_pull changed", "stack config field environment changed"],
        "db": ["stack added"],
    }


def test_config_hash_fallback_and_previous_inputs_union() -> None:
    old_web = StackInputs("web", frozenset({"web/old.env"}), frozenset(), "h0", frozenset({"OLD"}))
    got = detect_changes([WEB], ["web/old.env"], previous=[old_web], old_variables={"OLD": "1"})
    assert got == {"web": ["web/old.env changed", "variable OLD changed", "stack config changed"]}


def test_history_unavailable_flags_every_stack() -> None:
    got = detect_changes([WEB, DB], None)
    assert got == {"web": [FULL_COMPARISON], "db": [FULL_COMPARISON]}


def test_root_prefix_catches_everything() -> None:
    root = StackInputs("all", prefixes=frozenset({""}))
    assert detect_changes([root], ["deep/a/b.txt"]) == {"all": ["deep/a/b.txt changed"]}
