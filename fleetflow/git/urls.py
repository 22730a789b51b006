"""Clone URLs as Komodo builds them, and where a URL is fetched from (rewrites).

Komodo clones ``{https|http}://{git_provider}/{repo}.git``: ``repo`` is
``owner/name``, ``git_provider`` a host (``github.com``, a self-hosted
Gitea such as ``git.lan:3000``), ``git_https = false`` means plain http.
fleetflow also takes a full URL, an scp-like ``git@host:owner/name`` or a
local path in ``repo`` as it is. A rewrite (``FLEETFLOW_GIT_URL_REWRITE``,
git's ``insteadOf`` idea) maps a URL prefix to another, e.g. a mirror.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:")


def is_full_location(repo: str) -> bool:
    """Whether ``repo`` already names where to clone from (URL, scp-like address or local path)."""
    text = repo.strip()
    return bool(_SCHEME.match(text) or _SCP.match(text) or text.startswith(("/", "~", "./", "../", "file:")))


def clone_url(repo: str, git_provider: str = "github.com", git_https: bool = True) -> str:
    """The URL Komodo would clone for ``repo`` at ``git_provider`` (``ValueError`` when unusable)."""
    text = repo.strip()
    if not text:
        raise ValueError("repo is empty")
    if text.startswith("-") or git_provider.strip().startswith("-"):  # git would read it as an option
        raise ValueError(f"repo {repo!r} / git_provider {git_provider!r} must not start with '-'")
    if is_full_location(text):
        return text
    provider = _SCHEME.sub("", git_provider.strip()).strip("/")
    if not provider:
        raise ValueError("git_provider is empty")
    path = text.strip("/")
    if not path or any(part in {"", ".", ".."} for part in path.split("/")) or " " in path:
        raise ValueError(f"repo {repo!r} is not of the form owner/name")
    protocol = "https" if git_https else "http"
    suffix = "" if path.endswith(".git") else ".git"
    return f"{protocol}://{provider}/{path}{suffix}"


def rewrite_url(url: str, rewrites: Mapping[str, str]) -> str:
    """``url`` with its longest matching prefix in ``rewrites`` replaced (unchanged when none match)."""
    matches = [prefix for prefix in rewrites if prefix and url.startswith(prefix)]
    if not matches:
        return url
    prefix = max(matches, key=len)
    return rewrites[prefix] + url[len(prefix) :]


def account_secret_name(provider: str, account: str) -> str:
    """The secret holding ``account``'s token at ``provider``: ``GIT_<PROVIDER>_<ACCOUNT>``, other
    characters than letters and digits as ``_`` (``github.com`` + ``me``: ``GIT_GITHUB_COM_ME``)."""
    return "GIT_" + re.sub(r"[^A-Za-z0-9]", "_", f"{provider}_{account}").upper()
