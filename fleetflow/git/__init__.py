"""Git adapter: a cache of bare clones, reads by commit, and branch polling."""

from fleetflow.git.cache import RepoCache
from fleetflow.git.credentials import GitCredentials, mask, redact_url
from fleetflow.git.poll import PollResult, poll
from fleetflow.git.reading import CachedRepo

__all__ = ["CachedRepo", "GitCredentials", "PollResult", "RepoCache", "mask", "poll", "redact_url"]
