"""Signature checks against vectors computed outside the code under test."""

from __future__ import annotations

import subprocess

import pytest
from webhook_helper import SECRET, push_body, signed

from fleetflow.webhook import Provider, Rejected, parse, verify

# From GitHub's "Validating webhook deliveries" documentation.
GITHUB_VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_documented_vector() -> None:
    verify(Provider.GITHUB, {"x-hub-signature-256": GITHUB_VECTOR}, b"Hello, World!", SECRET)
    with pytest.raises(Rejected) as info:
        verify(Provider.GITHUB, {"x-hub-signature-256": GITHUB_VECTOR}, b"Hello, World?", SECRET)
    assert info.value.status == 403


@pytest.mark.parametrize("provider", [Provider.GITEA, Provider.FORGEJO])
def test_gitea_signature_from_openssl(provider: Provider) -> None:
    body = push_body()
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET], input=body, capture_output=True, check=True
    ).stdout.decode()
    digest = out.strip().rsplit(" ", 1)[-1]
    header = "x-forgejo-signature" if provider is Provider.FORGEJO else "x-gitea-signature"
    verify(provider, {header: digest}, body, SECRET)
    with pytest.raises(Rejected, match="does not match"):
        verify(provider, {header: digest}, body, "other secret")


def test_gitlab_token_and_missing_headers() -> None:
    verify(Provider.GITLAB, {"x-gitlab-token": SECRET}, b"{}", SECRET)
    with pytest.raises(Rejected) as wrong:
        verify(Provider.GITLAB, {"x-gitlab-token": SECRET + "x"}, b"{}", SECRET)
    assert wrong.value.status == 403
    for provider in Provider:
        with pytest.raises(Rejected) as missing:
            verify(provider, {}, b"{}", SECRET)
        assert missing.value.status == 401


def test_parse_push_tag_and_other_events() -> None:
    headers = {k.lower(): v for k, v in signed("github", b"", delivery="d-1").items()}
    push = parse(Provider.GITHUB, headers, push_body("dev", "b" * 40))
    assert (push.is_push, push.branch, push.commit, push.delivery_id, push.repository) == (
        True,
        "dev",
        "b" * 40,
        "d-1",
        "o/r",
    )
    tag = parse(Provider.GITHUB, headers, b'{"ref": "refs/tags/v1", "after": "c"}')
    assert tag.branch is None
    ping = parse(Provider.GITHUB, {"x-github-event": "ping"}, b"{}")
    assert not ping.is_push
    gitlab = parse(
        Provider.GITLAB, {"x-gitlab-event": "Push Hook"}, b'{"ref": "refs/heads/main", "checkout_sha": "d"}'
    )
    assert (gitlab.branch, gitlab.commit) == ("main", "d")
    with pytest.raises(Rejected) as bad:
        parse(Provider.GITHUB, {"x-github-event": "push"}, b"not json")
    assert bad.value.status == 400
