"""Komodo compatibility: its key/value rules, its field table, unmanaged kinds, deploy = false, warnings."""

from __future__ import annotations

import pytest

from fleetflow.errors import ResourceErrors
from fleetflow.resources import (
    ChainSecrets,
    EnvSecrets,
    Kind,
    MemorySource,
    RepoConfig,
    ResourceSyncConfig,
    ServerConfig,
    Stack,
    StackConfig,
    interpolate,
    load_resources,
    parse_environment,
    plan,
    validate,
)
from fleetflow.resources.komodo import CONFIG_RULES, ENTRY, Treatment
from fleetflow.resources.loader import LoadResult, accepted_keys

COMPOSE = "services:\n  a:\n    image: busybox\n"


def _load(toml: str, secrets: dict[str, str] | None = None, **files: str) -> LoadResult:
    source = MemorySource({"r.toml": toml, "app/compose.yaml": COMPOSE, **files})
    return validate(load_resources(source), secrets=EnvSecrets(secrets or {}, prefix=""))


def test_komodos_own_documented_examples_parse() -> None:
    """The example in the doc comment of Komodo's ``parse_key_value_list`` (values read as a dotenv file)."""
    text = """
# Supports comments
KEY_1 = value_1 # end of line comments

# Supports string wrapped values
KEY_2="value_2"
'KEY_3 = value_3'

# Also supports yaml list formats
- KEY_4: 'value_4'
- "KEY_5=value_5"

# Wrapping outer quotes are removed while inner quotes are preserved
"KEY_6 = 'value_6'"
"""
    assert parse_environment(text) == {f"KEY_{i}": f"value_{i}" for i in range(1, 7)}


@pytest.mark.parametrize(
    ("line", "pair"),
    [
        ("IMMICH_VERSION:  release", ("IMMICH_VERSION", "release")),
        ("URL=http://a:1/b", ("URL", "http://a:1/b")),
        ("URL: http://a:1/b=c", ("URL", "http://a:1/b=c")),
        ("// komodo comment", None),
        ("export A=1", ("A", "1")),
        ("- export B: 2", ("B", "2")),
        ("dotted.key-name=v", ("dotted.key-name", "v")),
        ('"Q" = "v"', ("Q", "v")),
    ],
)
def test_one_line(line: str, pair: tuple[str, str] | None) -> None:
    assert parse_environment(line) == (dict([pair]) if pair else {})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("A=1\nNO_SEPARATOR", "environment line 2"),
        ("A=1\nTWO WORDS=x", "followed by a space"),
        ("\n\n9BAD=x", "environment line 3"),
        ([{"value": "x"}], "environment item 1"),
        ('"OPEN=x', "unterminated"),
    ],
)
def test_bad_lines_are_named_without_their_value(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_environment(value)
    assert message in str(caught.value)


def test_a_bad_line_never_echoes_its_value() -> None:
    with pytest.raises(ValueError, match="environment line 1") as caught:
        parse_environment("PASSWORD hunter2-secret-value")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("stack", StackConfig),
        ("server", ServerConfig),
        ("resource_sync", ResourceSyncConfig),
        ("repo", RepoConfig),
    ],
)
def test_the_field_table_covers_exactly_the_models_fields(kind: str, model: type) -> None:
    assert set(CONFIG_RULES[kind]) == accepted_keys(model)


def test_entry_keys_are_in_the_table() -> None:
    assert set(ENTRY) == set(Stack.model_fields) - {"config"}


def test_fields_another_issue_implements_are_honored_not_refused() -> None:
    for name in (
        "files_on_host",
        "linked_repo",
        "compose_cmd_wrapper",
        "run_build",
        "registry_provider",
        "registry_account",
        "auto_update_skip_services",
        "destroy_before_deploy",
        "ignore_services",
        "extra_args",
        "repo",
        "git_provider",
        "git_https",
        "git_account",
        "branch",
        "commit",
        "webhook_force_deploy",
    ):
        assert CONFIG_RULES["stack"][name].treatment is Treatment.HONORED, name
    for name in ("swarm", "swarm_id"):  # refused aloud, with what to do instead
        assert CONFIG_RULES["stack"][name].treatment is Treatment.REFUSED, name


def test_unmanaged_kinds_warn_once_per_kind_with_count() -> None:
    toml = "\n".join(f'[[deployment]]\nname = "d{i}"\n' for i in range(5)) + '\n[[builds]]\nname = "b"\n'
    loaded = _load(toml)
    texts = [str(w) for w in loaded.warnings]
    assert sum("[[deployment]]" in t for t in texts) == 1
    assert any("5 [[deployment]] entries ignored" in t for t in texts)
    assert any("1 [[build]] entry ignored" in t for t in texts)


def test_warnings_travel_with_desired_and_with_errors() -> None:
    toml = '[[server]]\nname = "s"\n[server.config]\nauto_prune = false\n[[procedure]]\nname = "p"\n'
    loaded = _load(toml)
    desired = interpolate(loaded)
    assert len(desired.warnings) == 2
    broken = _load(toml + '[[stack]]\nname = "x"\n[stack.config]\nserver = "nope"\nrun_directory = "app"\n')
    with pytest.raises(ResourceErrors) as caught:
        broken.raise_for_errors()
    assert len(caught.value.warnings) == 2


def test_deploy_false_is_applied_but_never_deployed() -> None:
    toml = (
        '[[server]]\nname = "s"\n'
        '[[stack]]\nname = "held"\ndeploy = false\n[stack.config]\nserver = "s"\nrun_directory = "app"\n'
        '[[stack]]\nname = "free"\n[stack.config]\nserver = "s"\nrun_directory = "app"\nproject_name = "f"\n'
    )
    desired = interpolate(_load(toml))
    result = plan(desired, {}, deploy=["held", "free"])
    assert result.rounds == (("free",),)
    held = next(e for e in result.entries if e.name == "held")
    assert held.reason.endswith("not deployed: deploy = false")
    assert not desired.resources.stacks["free"].held


def test_interpolation_reaches_file_contents_hooks_and_server_addresses() -> None:
    toml = (
        '[[server]]\nname = "s"\n[server.config]\naddress = "ssh://[[ssh-user]]@127.0.0.1:2222"\n'
        '[[stack]]\nname = "x"\n[stack.config]\nserver = "s"\n'
        'file_contents = "services:\\n  a:\\n    image: busybox:[[tag.v]]\\n"\n'
        'pre_deploy.command = "echo [[tag.v]]"\n'
    )
    secrets = {"ssh-user": "ops", "tag.v": "1.36"}
    desired = interpolate(_load(toml, secrets), EnvSecrets(secrets, prefix=""))
    assert desired.servers["s"].config.address == "ssh://ops@127.0.0.1:2222"
    assert desired.resources.servers["s"].config.address.startswith("ssh://[[")
    assert "busybox:1.36" in desired.stacks["x"].config.file_contents
    assert desired.stacks["x"].config.pre_deploy.command == "echo 1.36"
    loaded = _load(toml)
    assert len(loaded.errors) == 1
    text = str(loaded.errors[0])
    assert "2 variables/secrets are not defined" in text
    assert "ssh-user (1)" in text
    assert "tag.v (2)" in text


def test_a_bad_interpolated_address_is_an_error_without_the_value() -> None:
    toml = '[[server]]\nname = "s"\n[server.config]\naddress = "ssh://ops@[[HOST]]:notaport"\n'
    secrets = {"HOST": "secret-host-name"}
    with pytest.raises(ResourceErrors) as caught:
        interpolate(_load(toml, secrets), EnvSecrets(secrets, prefix=""))
    assert "not a valid ssh:// address" in str(caught.value)
    assert "secret-host-name" not in str(caught.value)


def test_missing_server_used_by_many_stacks_is_one_error() -> None:
    stacks = "".join(
        f'[[stack]]\nname = "a{i}"\n[stack.config]\nserver = "Atelier"\n'
        f'run_directory = "app"\nproject_name = "p{i}"\n'
        for i in range(7)
    )
    loaded = _load('[[server]]\nname = "atelier"\n' + stacks)
    assert [e.detail for e in loaded.errors] == [
        "Server 'Atelier' is not defined — used by 7 stacks (first: r.toml:6)."
    ]


def test_secret_lookups_happen_once_per_name() -> None:
    calls: list[str] = []

    class Counting:
        def get(self, name: str) -> str | None:
            calls.append(name)
            return None

    chain = ChainSecrets(Counting())
    for _ in range(3):
        chain.get("A")
    assert calls == ["A"]


def test_plural_tables_load_as_their_kind() -> None:
    loaded = _load(
        '[[servers]]\nname = "s"\n[[stacks]]\nname = "x"\n'
        '[stacks.config]\nserver = "s"\nrun_directory = "app"\n'
    )
    assert not loaded.errors
    assert set(loaded.resources.of(Kind.STACK)) == {"x"}


def test_resource_errors_survive_pickling_with_their_warnings() -> None:
    import pickle

    loaded = _load('[[procedure]]\nname = "p"\n[[stack]]\nname = "x"\n[stack.config]\nserver = "nope"\n')
    with pytest.raises(ResourceErrors) as caught:
        loaded.raise_for_errors()
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes
    assert str(copy) == str(caught.value)
    assert copy.warnings == caught.value.warnings
    assert [str(e) for e in copy.errors] == [str(e) for e in caught.value.errors]
