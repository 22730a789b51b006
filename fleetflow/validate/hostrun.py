"""Run the host checks of a report: one connection per server, all servers at once."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from fleetflow.hosts.base import HostConnection
from fleetflow.resources import Desired, Server
from fleetflow.validate.facts import StackFacts
from fleetflow.validate.findings import Finding, Report, Severity
from fleetflow.validate.host import check_host


async def run_host_checks(
    desired: Desired,
    report: Report,
    connect: Callable[[Server], HostConnection],
    *,
    timeout: float = 30,
) -> list[Finding]:
    """Host findings for every enabled server the report's stacks run on; adds them to ``report``."""
    by_server: dict[str, list[StackFacts]] = defaultdict(list)
    for facts in report.facts.values():
        by_server[facts.server].append(facts)
    findings: list[Finding] = []
    jobs = []
    for name, stacks in sorted(by_server.items()):
        server = desired.resources.servers.get(name)
        if server is None or not server.config.enabled:
            continue
        try:
            host = connect(server)
        except Exception as exc:  # a bad address is this server's finding, not everyone's failure
            findings.append(
                Finding(
                    "host.unreachable",
                    Severity.ERROR,
                    f"server {name!r} could not be checked: {exc}",
                    server=name,
                )
            )
            continue
        jobs.append(check_host(host, stacks, timeout=timeout))
    for result in await asyncio.gather(*jobs):
        findings.extend(result)
    findings = [replace(f, message=desired.mask(f.message)) for f in findings]
    report.extend(findings)
    return findings
