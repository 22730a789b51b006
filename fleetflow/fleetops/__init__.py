"""Fleet-wide operations run from core across many hosts (pull-all-hosts, ...)."""

from fleetflow.fleetops.pull import PullResult, PullStatus, PullTarget, pull_all, pull_checkout

__all__ = ["PullResult", "PullStatus", "PullTarget", "pull_all", "pull_checkout"]
