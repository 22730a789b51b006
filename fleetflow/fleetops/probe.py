"""Reachability, latency and clock skew of one host, from two trivial commands.

Latency is the wall time of ``true`` (for SSH: one round trip on the open connection; the first
call also pays for connecting, so it is taken twice and the second counts). Clock skew is the
host's ``date +%s.%N`` minus this machine's clock at the midpoint of the call, i.e. corrected by
half the round-trip time. Nothing here raises for a bad host: the error is in the result.
"""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel, ConfigDict

from fleetflow.errors import FleetflowError
from fleetflow.hosts.base import HostConnection


class Probe(BaseModel):
    """One host's answer to the probe."""

    model_config = ConfigDict(frozen=True)

    reachable: bool
    latency_ms: float | None = None
    skew_s: float | None = None
    rtt_ms: float | None = None
    error: str = ""


def parse_epoch(text: str) -> float:
    """``date +%s.%N`` output -> seconds; a ``date`` without ``%N`` (prints ``N``) gives whole seconds."""
    raw = text.strip()
    whole, _, frac = raw.partition(".")
    if not whole.isdigit():
        raise ValueError(f"not an epoch time: {raw[:40]!r}")
    return float(f"{whole}.{frac}") if frac.isdigit() else float(whole)


def skew_from(remote: float, sent: float, received: float) -> float:
    """Pure: the host clock minus ours, taking the remote reading at the midpoint of the round trip."""
    return remote - (sent + received) / 2


async def _timed(host: HostConnection, argv: list[str], timeout: float) -> tuple[str, float, float]:
    sent_wall, sent = time.time(), time.perf_counter()
    result = await host.run(argv, timeout=timeout)
    took = time.perf_counter() - sent
    return result.stdout, sent_wall, took


async def probe_host(host: HostConnection, *, timeout: float = 10.0) -> Probe:
    """Latency of ``true`` and clock skew of ``date`` on ``host``, each bounded by ``timeout``."""
    try:
        await asyncio.wait_for(host.run(["true"], timeout=timeout), timeout)  # connects if need be
        _, _, took = await asyncio.wait_for(_timed(host, ["true"], timeout), timeout)
        out, sent_wall, rtt = await asyncio.wait_for(_timed(host, ["date", "+%s.%N"], timeout), timeout)
        skew = skew_from(parse_epoch(out), sent_wall, sent_wall + rtt)
    except TimeoutError:
        return Probe(reachable=False, error=f"no answer within {timeout:g} s")
    except FleetflowError as exc:
        return Probe(reachable=False, error=str(exc))
    except ValueError as exc:
        return Probe(reachable=True, latency_ms=round(took * 1000, 2), error=f"clock: {exc}")
    return Probe(
        reachable=True, latency_ms=round(took * 1000, 2), skew_s=round(skew, 3), rtt_ms=round(rtt * 1000, 2)
    )
