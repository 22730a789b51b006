"""Keep credentials out of messages: mask the password in a MongoDB URL."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@", re.I)
_QUERY_SECRET = re.compile(r"(?P<key>(?:password|secret|token)=)[^&]*", re.I)


def mask_url(url: str) -> str:
    """``mongodb://u:secret@h/db`` -> ``mongodb://u:***@h/db`` (query secrets too)."""
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}***", masked)


def scrub(text: str, *secrets: str) -> str:
    """Replace every non-empty secret value in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
