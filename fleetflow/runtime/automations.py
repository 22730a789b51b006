"""The zombie-run automation: a flow run whose heartbeats stop is marked Crashed.

Prefect OSS has no managed version of this; fleetflow creates it at deploy
time. Workers must run with ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` > 30 (the
agent command sets it) for heartbeats to be emitted.
"""

from __future__ import annotations

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

ZOMBIE_AUTOMATION = "fleetflow: crash zombie flow runs"
HEARTBEAT_SECONDS = 45
"""Agents emit a heartbeat this often; three missed heartbeats make a zombie."""


def zombie_automation() -> Automation:
    """The automation object (not yet saved)."""
    return Automation(
        name=ZOMBIE_AUTOMATION,
        description="Marks a flow run Crashed when its worker stops sending heartbeats (host lost).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=HEARTBEAT_SECONDS * 3),
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                force=False,
                state=StateType.CRASHED,
                message="No heartbeat from the agent for three intervals: the host or its agent was lost.",
            )
        ],
    )


async def ensure_zombie_automation() -> bool:
    """Create the automation unless one with its name exists; True when created."""
    try:
        await Automation.aread(name=ZOMBIE_AUTOMATION)
        return False
    except ValueError:
        await zombie_automation().acreate()
        return True
