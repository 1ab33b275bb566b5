"""Local API operations that write a project: create it, its visibility and members, its ledger
(contributions, entries, reversals, acknowledgements), credit floors and its policy. Run by the owner of the
home, or by the command holding the home when none runs."""

from __future__ import annotations

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.economy import DimensionError, parse_dimensions
from reliance.errors import ModelError
from reliance.jsontext import parse_json
from reliance.localapi.protocol import AMOUNT, SHORT, TEXT, WRITE, Args, Operation, Outcome, Param

PROJECT = Param(str, required=True, most=SHORT)
ENTRY = {  # what a contribution and a ledger entry both carry
    "project": PROJECT,
    "kind": Param(str, required=True, most=SHORT),
    "amount": Param(int, required=True, most=AMOUNT),
    "unit": Param(str, required=True, most=SHORT),
    "note": Param(str, most=TEXT, default=""),
    "dims": Param(list, most=64),
}


def project_create(ws: Workspace, args: Args) -> Outcome:
    project_id = projects.create_project(ws, args["name"], args["visibility"])
    return Outcome({"id": project_id}, (project_id,))


def _project(ws: Workspace, args: Args) -> str:
    return projects.resolve_project(ws, args["project"])


def project_visibility(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    changed = projects.set_visibility(ws, project_id, args["visibility"])
    name = projects.summary(ws, project_id).name
    return Outcome({"id": project_id, "name": name, "changed": changed}, (project_id,) if changed else ())


def project_add_member(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    projects.add_member(ws, project_id, args["peer_id"], args["role"])
    return Outcome({"id": project_id}, (project_id,))


def project_remove_member(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    projects.remove_member(ws, project_id, args["peer_id"])
    return Outcome({"id": project_id}, (project_id,))


def _dimensions(args: Args) -> dict[str, int]:
    try:
        return parse_dimensions(args["dims"] or ())
    except DimensionError as exc:
        raise ModelError("localapi.error.dim", field="dim", text=exc.typed) from None


def project_contribute(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    entry_id = projects.contribute(
        ws, project_id, args["kind"], args["amount"], args["unit"], args["note"], _dimensions(args)
    )
    return Outcome({"id": entry_id}, (project_id,))


def project_record(ws: Workspace, args: Args) -> Outcome:
    if args["kind"] == "transfer" and not args["counterparty"]:
        raise ModelError("localapi.error.transfer_needs_to", field="to")
    if args["kind"] not in ("expense", "revenue", "transfer"):
        raise ModelError("localapi.error.entry_kind", field="kind", value=args["kind"])
    project_id = _project(ws, args)
    entry_id = projects.record_entry(
        ws,
        project_id,
        kind=args["kind"],
        amount=args["amount"],
        unit=args["unit"],
        note=args["note"],
        member=args["member"],
        counterparty=args["counterparty"],
        dimensions=_dimensions(args),
    )
    return Outcome({"id": entry_id}, (project_id,))


def project_reverse(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    return Outcome({"id": projects.reverse(ws, project_id, args["entry_id"], args["note"])}, (project_id,))


def project_acknowledge(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    entry_id = projects.acknowledge(ws, project_id, args["entry_id"], args["factor"])
    return Outcome({"id": entry_id}, (project_id,))


def project_limit(ws: Workspace, args: Args) -> Outcome:
    project_id = _project(ws, args)
    projects.set_limit(ws, project_id, args["member"], args["unit"], args["floor"])
    return Outcome({"id": project_id}, (project_id,))


def project_policy(ws: Workspace, args: Args) -> Outcome:
    try:
        data = parse_json(args["policy"])
    except ValueError as exc:
        raise ModelError("localapi.error.policy_json", reason=exc) from None
    project_id = _project(ws, args)
    return Outcome({"version": projects.set_policy(ws, project_id, data)}, (project_id,))


PROJECT_OPERATIONS = [
    Operation(
        "project.create",
        WRITE,
        project_create,
        {
            "name": Param(str, required=True, most=SHORT),
            "visibility": Param(str, most=SHORT, default="members"),
        },
    ),
    Operation(
        "project.visibility",
        WRITE,
        project_visibility,
        {"project": PROJECT, "visibility": Param(str, required=True, most=SHORT)},
    ),
    Operation(
        "project.add_member",
        WRITE,
        project_add_member,
        {
            "project": PROJECT,
            "peer_id": Param(str, required=True, most=SHORT),
            "role": Param(str, most=SHORT, default="member"),
        },
    ),
    Operation(
        "project.remove_member",
        WRITE,
        project_remove_member,
        {"project": PROJECT, "peer_id": Param(str, required=True, most=SHORT)},
    ),
    Operation(
        "project.contribute",
        WRITE,
        project_contribute,
        ENTRY,
    ),
    Operation(
        "project.record",
        WRITE,
        project_record,
        {
            **ENTRY,
            "counterparty": Param(str, most=SHORT),
            "member": Param(str, most=SHORT, default=""),
        },
    ),
    Operation(
        "project.reverse",
        WRITE,
        project_reverse,
        {
            "project": PROJECT,
            "entry_id": Param(str, required=True, most=SHORT),
            "note": Param(str, most=TEXT, default=""),
        },
    ),
    Operation(
        "project.acknowledge",
        WRITE,
        project_acknowledge,
        {
            "project": PROJECT,
            "entry_id": Param(str, required=True, most=SHORT),
            "factor": Param(int, most=AMOUNT, default=100),
        },
    ),
    Operation(
        "project.limit",
        WRITE,
        project_limit,
        {
            "project": PROJECT,
            "member": Param(str, required=True, most=SHORT),
            "unit": Param(str, required=True, most=SHORT),
            "floor": Param(int, required=True, most=AMOUNT),
        },
    ),
    Operation(
        "project.policy",
        WRITE,
        project_policy,
        {"project": PROJECT, "policy": Param(str, required=True, most=TEXT)},
    ),
]
