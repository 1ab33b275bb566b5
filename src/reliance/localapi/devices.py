"""Local API operations on the participant's devices: list, rename, revoke, and certify one being linked
(`reliance device …`)."""

from __future__ import annotations

from typing import Any

from reliance.app import devices
from reliance.app.workspace import Workspace
from reliance.localapi.protocol import BAD_REQUEST, READ, SHORT, WRITE, ApiError, Operation, Outcome, Param


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


def device_grant(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """Certify a device that proved it has an invitation's code (`reliance device invite`), here so that
    the certificate is written by the home's one owner; the grant is left in a private file of the home
    (`linking.write_grant`: it may be larger than a response), named in the result."""
    from reliance.app import linking

    key_text = args["key"]
    if len(key_text) != 64 or not all(c in "0123456789abcdef" for c in key_text):
        raise ApiError(BAD_REQUEST, "localapi.error.hex_key")
    grant_file, changed = linking.write_grant(ws, args["name"], bytes.fromhex(key_text))
    return Outcome({"grant_file": grant_file}, changed)


def new_history(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """Start this participant's document again, when it is lost everywhere (`reliance init --new-history`)."""
    ws.start_my_document()
    return Outcome({"peer_id": ws.peer_id}, (ws.peer_id,))


DEVICE_OPERATIONS = [
    Operation("identity.new_history", WRITE, new_history, doc="start your document again (lost everywhere)"),
    Operation("device.list", READ, device_list, doc="the participant's devices"),
    Operation(
        "device.rename",
        WRITE,
        device_rename,
        {"device": Param(str, required=True, most=SHORT), "name": Param(str, required=True, most=SHORT)},
    ),
    Operation("device.revoke", WRITE, device_revoke, {"device": Param(str, required=True, most=SHORT)}),
    Operation(
        "device.grant",
        WRITE,
        device_grant,
        {"name": Param(str, required=True, most=SHORT), "key": Param(str, required=True, most=64)},
        doc="certify a device that proved it has an invitation's code; its grant",
    ),
]
