"""Local API operations on the participant's devices: list, rename, revoke (`reliance device …`)."""

from __future__ import annotations

from typing import Any

from reliance.app import devices
from reliance.app.workspace import Workspace
from reliance.localapi.protocol import READ, WRITE, Operation, Outcome, Param

SHORT = 4096


def device_list(ws: Workspace, args: dict[str, Any]) -> Outcome:
    return Outcome([row.to_json() for row in devices.device_rows(ws)])


def device_rename(ws: Workspace, args: dict[str, Any]) -> Outcome:
    record = devices.rename_device(ws, args["device"], args["name"])
    return Outcome(
        {"device_id": record.device_id, "old": record.name, "name": args["name"].strip()}, (ws.peer_id,)
    )


def device_revoke(ws: Workspace, args: dict[str, Any]) -> Outcome:
    record = devices.revoke_device(ws, args["device"])
    return Outcome({"device_id": record.device_id, "name": record.name}, (ws.peer_id,))


DEVICE_OPERATIONS = [
    Operation("device.list", READ, device_list, doc="the participant's devices"),
    Operation(
        "device.rename",
        WRITE,
        device_rename,
        {"device": Param(str, required=True, most=SHORT), "name": Param(str, required=True, most=SHORT)},
    ),
    Operation("device.revoke", WRITE, device_revoke, {"device": Param(str, required=True, most=SHORT)}),
]
