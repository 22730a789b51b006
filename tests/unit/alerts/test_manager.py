"""Dedup through the (embedded) store: open once, no repeat while open, resolve once; apprise delivery."""

from __future__ import annotations

from pydantic import SecretStr

from fleetflow.alerts import AppriseNotifier, Candidate, EventKind, RecordingNotifier, alert_key, reconcile
from fleetflow.store import Severity, StateStore
from tests.support.receiver import Receiver


def cand(host: str, rule: str, severity: Severity = Severity.WARNING, message: str = "") -> Candidate:
    return Candidate(
        key=alert_key(host, rule), host=host, severity=severity, message=message or f"{rule} on {host}"
    )


async def test_open_once_escalate_resolve(store: StateStore) -> None:
    sent = RecordingNotifier()
    first = await reconcile(store, [cand("h1", "disk")], evaluated=["h1"], notifier=sent)
    assert [(e.kind, e.notified) for e in first] == [(EventKind.OPENED, True)]
    again = await reconcile(store, [cand("h1", "disk")], evaluated=["h1"], notifier=sent)
    assert again == []
    assert len(sent.messages) == 1
    (alert,) = store.open_alerts()
    assert alert.count == 2
    worse = await reconcile(store, [cand("h1", "disk", Severity.CRITICAL)], evaluated=["h1"], notifier=sent)
    assert [e.kind for e in worse] == [EventKind.ESCALATED]
    gone = await reconcile(store, [], evaluated=["h1"], notifier=sent)
    assert [e.kind for e in gone] == [EventKind.RESOLVED]
    assert store.open_alerts() == []
    assert sent.messages[-1][0] == "[resolved] h1"
    assert await reconcile(store, [], evaluated=["h1"], notifier=sent) == []


async def test_only_evaluated_hosts_resolve(store: StateStore) -> None:
    await reconcile(store, [cand("h1", "cpu"), cand("h2", "cpu")], evaluated=["h1", "h2"])
    events = await reconcile(store, [], evaluated=["h1"])
    assert [e.key for e in events] == [alert_key("h1", "cpu")]
    assert [a.dedup_key for a in store.open_alerts()] == [alert_key("h2", "cpu")]
    store.open_alert("deploy:web", Severity.CRITICAL, "not ours")
    await reconcile(store, [], evaluated=["h1", "h2", "fleet"])
    assert [a.dedup_key for a in store.open_alerts()] == ["deploy:web"]


async def test_maintenance_mutes_new_alerts(store: StateStore) -> None:
    sent = RecordingNotifier()
    events = await reconcile(
        store, [cand("h1", "mem")], evaluated=["h1"], notifier=sent, muted={"h1": "nightly"}
    )
    assert [e.kind for e in events] == [EventKind.MUTED]
    assert "nightly" in events[0].message
    assert store.open_alerts() == []
    assert sent.messages == []


async def test_apprise_json_delivery_without_secrets(store: StateStore, receiver: Receiver) -> None:
    secret = "s3cr3t-pass"
    url = f"json://bot:{secret}@127.0.0.1:{receiver.port}/"
    notifier = AppriseNotifier([SecretStr(url)], secrets=[SecretStr("db-password-1")])
    leaky = cand("h1", "unreachable", Severity.CRITICAL, f"h1 down (tried {url}, pw db-password-1)")
    hidden = [SecretStr(url), SecretStr("db-password-1")]
    await reconcile(store, [leaky], evaluated=["h1"], notifier=notifier, secrets=hidden)
    await reconcile(store, [leaky], evaluated=["h1"], notifier=notifier, secrets=hidden)  # open: not resent
    assert not store.contains_text(secret)
    assert not store.contains_text("db-password-1")
    await reconcile(store, [], evaluated=["h1"], notifier=notifier)
    assert len(receiver.posts) == 2
    opened, resolved = receiver.posts
    assert opened["type"] == "failure"
    assert opened["title"] == "[critical] h1: alert"
    assert "h1 down" in opened["message"]
    assert "***" in opened["message"]
    assert resolved["message"].startswith("resolved: ")
    assert resolved["type"] == "info"
    for post in receiver.posts:
        assert secret not in str(post)
        assert "db-password-1" not in str(post)


async def test_no_urls_sends_nothing() -> None:
    notifier = AppriseNotifier([])
    assert not notifier.enabled
    assert await notifier.send("t", "b", Severity.INFO) is False
