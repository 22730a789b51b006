"""Pure edge cases: URL masking, key encoding, retry rules, unreachable databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pymongo.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetflow.errors import ConfigError, StoreError, StoreUnavailable
from fleetflow.store import BackendKind, mask_url, open_store
from fleetflow.store.backend import Backend, DuplicateKey
from fleetflow.store.codec import contains, decode, encode, truncate
from tests.support.processes import free_port

pytestmark = pytest.mark.unit

keys = st.text(min_size=1, max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(keys, values, max_size=5))
def test_encode_decode_round_trip_and_no_unsafe_keys(doc: dict[str, Any]) -> None:
    encoded = encode(doc)
    assert decode(encoded) == doc

    def safe(v: Any) -> bool:
        if isinstance(v, dict):
            return all("." not in k and not k.startswith("$") and safe(x) for k, x in v.items())
        return all(safe(x) for x in v) if isinstance(v, list) else True

    assert safe(encoded)


def test_truncate_makes_aware_utc_milliseconds() -> None:
    local = datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert truncate(local) == datetime(2025, 1, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert truncate(datetime(2025, 1, 1)).tzinfo is UTC


def test_contains_finds_keys_and_nested_values() -> None:
    assert contains({"a": [{"b": "xx-secret-yy"}]}, "secret")
    assert contains({"the-secret": 1}, "secret")
    assert not contains({"a": [1, None, {"b": "c"}]}, "secret")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mongodb://u:p%40ss@h:1/db?x=1", "mongodb://u:***@h:1/db?x=1"),
        ("mongodb://h:1/", "mongodb://h:1/"),
        ("mongodb://u@h:1/", "mongodb://u@h:1/"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_unreachable_server_names_masked_url_and_what_to_check() -> None:
    url = f"mongodb://admin:hunter2@127.0.0.1:{free_port()}/"
    with pytest.raises(StoreUnavailable) as info:
        open_store(url, timeout_s=0.2, attempts=2)
    text = str(info.value)
    assert "admin:***@127.0.0.1" in text
    assert "hunter2" not in text
    assert "2 attempts" in text
    assert "FLEETFLOW_STORE_URL" in text


def test_not_a_mongodb_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a MongoDB URL"):
        open_store("postgres://u:pw@h/db")


def test_embedded_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable, match="cannot be opened"):
        open_store(embedded_path=blocker / "state")


def _backend() -> Backend:
    return Backend(db=None, client=None, kind=BackendKind.MONGODB, where="mongodb://h/", backoff_s=0)


def test_transient_errors_are_retried_then_succeed() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise pymongo.errors.AutoReconnect("connection reset")
        return "ok"

    assert _backend().run("testing", flaky) == "ok"
    assert len(calls) == 3


def test_duplicate_after_retry_counts_when_first_attempt_landed() -> None:
    attempts: list[int] = []

    def write() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise pymongo.errors.AutoReconnect("reply lost")
        raise pymongo.errors.DuplicateKeyError("E11000")

    _backend().run("writing", write, already_done=lambda: True)
    attempts.clear()
    with pytest.raises(DuplicateKey):
        _backend().run("writing", write, already_done=lambda: False)


def test_refusal_is_a_store_error_not_retried() -> None:
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise pymongo.errors.OperationFailure("not allowed", code=13)

    with pytest.raises(StoreError, match="refused testing") as info:
        _backend().run("testing", refuse)
    assert not isinstance(info.value, StoreUnavailable)
    assert calls == [1]
