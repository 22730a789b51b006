"""Per-service file inputs and the compose command wrapper (pure)."""

from __future__ import annotations

import pytest

from fleetflow.deploy.fingerprint import service_fingerprints
from fleetflow.deploy.service_inputs import service_input_hashes
from fleetflow.deploy.wrapper import parse_multiline_command, wrap, wrapper_include

pytestmark = pytest.mark.unit

ROOT = "/srv/stacks/app"
MODEL = {
    "services": {
        "web": {"volumes": [{"type": "bind", "source": f"{ROOT}/s/conf/app.conf", "target": "/etc/a"}]},
        "html": {"volumes": [{"type": "bind", "source": f"{ROOT}/s/html", "target": "/srv"}]},
        "cfg": {"configs": [{"source": "c", "target": "/etc/c"}], "secrets": ["k"]},
        "env": {"env_file": [{"path": f"{ROOT}/common.env", "required": True}]},
        "vol": {"volumes": [{"type": "volume", "source": "data", "target": "/d"}]},
        "host": {"volumes": [{"type": "bind", "source": "/var/run/docker.sock", "target": "/s"}]},
    },
    "configs": {"c": {"file": f"{ROOT}/s/c.txt"}},
    "secrets": {"k": {"file": f"{ROOT}/s/k.txt"}},
}
FILES = {
    "s/conf/app.conf": b"1",
    "s/html/index.txt": b"1",
    "s/html/sub/more.txt": b"1",
    "s/c.txt": b"1",
    "s/k.txt": b"1",
    "common.env": b"1",
    "s/README.md": b"1",
}


def _hashes(files: dict[str, bytes]) -> dict[str, str]:
    return service_input_hashes(MODEL, files, ROOT, f"{ROOT}/s")


@pytest.mark.parametrize(
    ("path", "affected"),
    [
        ("s/conf/app.conf", {"web"}),
        ("s/html/index.txt", {"html"}),
        ("s/html/sub/more.txt", {"html"}),
        ("s/c.txt", {"cfg"}),
        ("s/k.txt", {"cfg"}),
        ("common.env", {"env"}),
        ("s/README.md", set()),
    ],
)
def test_a_file_change_moves_only_the_services_reading_it(path: str, affected: set[str]) -> None:
    before = _hashes(FILES)
    after = _hashes(FILES | {path: b"2"})
    assert {s for s in after if after[s] != before.get(s)} == affected


def test_services_reading_no_file_keep_their_fingerprint() -> None:
    hashes = _hashes(FILES)
    assert "vol" not in hashes
    assert "host" in hashes  # a host path counts by its path, stably
    assert _hashes(FILES | {"s/html/new.txt": b"x"})["host"] == hashes["host"]
    plain = service_fingerprints(MODEL, {})
    assert service_fingerprints(MODEL, {}, hashes)["vol"] == plain["vol"]
    assert service_fingerprints(MODEL, {}, hashes)["web"] != plain["web"]


def test_a_file_added_to_a_bound_directory_or_removed_counts() -> None:
    before = _hashes(FILES)["html"]
    assert _hashes(FILES | {"s/html/new.txt": b"x"})["html"] != before
    less = {k: v for k, v in FILES.items() if k != "s/html/sub/more.txt"}
    assert _hashes(less)["html"] != before


def test_multiline_wrapper_is_read_as_komodo_reads_it() -> None:
    text = "# decrypt first\nexport A=1 # note\nsops exec-env \\\n  .env '[[COMPOSE_COMMAND]]'\n"
    assert parse_multiline_command(text) == "export A=1 && sops exec-env .env '[[COMPOSE_COMMAND]]'"


def test_wrap_substitutes_the_command_for_included_subcommands_only() -> None:
    argv = ["docker", "compose", "-p", "app", "up", "-d"]
    wrapper = "sops exec-env .env '[[COMPOSE_COMMAND]]'"
    assert wrap(wrapper, [], argv, "up") == "sops exec-env .env 'docker compose -p app up -d'"
    assert wrap(wrapper, [], argv, "pull") is None  # Komodo's default: up alone
    assert wrap(wrapper, ["pull", "config"], argv, "pull") is not None
    assert wrap(wrapper, ["pull", "config"], argv, "up") is None
    assert wrap("", ["up"], argv, "up") is None
    assert wrapper_include("", []) == ()
    with pytest.raises(ValueError, match="COMPOSE_COMMAND"):
        wrap("sops exec-env .env", [], argv, "up")
