"""The operations of the local API: what the CLI (and later the web face) asks the owner of a home to do.

Store operations (`READ`, `WRITE`) are plain functions of a `Workspace` and checked arguments, returning an
`Outcome` (plain data, and the documents a write changed). The owner runs them where its store work runs
and announces what they changed; without an owner the CLI runs the same functions on the store itself
(`LocalApi`), so both ways give the same results and the same refusals. Node operations (`NODE`) need the
running node and exist only at an owner (`NodeControl`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reliance.app import projects
from reliance.app.workspace import ItemFilter, Workspace
from reliance.errors import ModelError
from reliance.identity import canonical_peer
from reliance.localapi.devices import DEVICE_OPERATIONS
from reliance.localapi.dividend_ops import DIVIDEND_OPERATIONS
from reliance.localapi.imports import IMPORT_OPERATIONS
from reliance.localapi.node_ops import (
    node_peers,
    node_status,
    peer_accept,
    peer_add,
    peer_block,
    peer_remove,
    peer_unblock,
    refresh,
    sync_with,
    web_pair,
    web_revoke,
    web_sessions,
    web_url,
)
from reliance.localapi.project_ops import PROJECT_OPERATIONS
from reliance.localapi.protocol import (
    BAD_REQUEST,
    NODE,
    READ,
    SESSION,
    SHORT,
    TEXT,
    UNAVAILABLE,
    WRITE,
    ApiError,
    Args,
    Dispatcher,
    Operation,
    Outcome,
    Param,
)
from reliance.model.catalogue import (
    MAX_CAPACITY,
    Answer,
    Item,
    Repeat,
    Status,
    normalise_tags,
    parse_kind,
    parse_repeat,
    parse_status,
    parse_time,
)
from reliance.model.codesocial import SECTIONS, section_id
from reliance.model.messages import InputError
from reliance.model.programme import programme
from reliance.model.rsvp import attendance, standing_answers, thread

DOC_IDS = 10_000


# -- reads ----------------------------------------------------------------------------------------------


def whoami(ws: Workspace, args: Args) -> Outcome:
    return Outcome(
        {
            "name": ws.identity.name,
            "peer_id": ws.peer_id,
            "fingerprint": ws.identity.fingerprint,
            "created": ws.identity.created,
            "home": str(ws.home),
        }
    )


def _name(ws: Workspace, names: dict[str, str], peer_id: str) -> str:
    if peer_id not in names:
        names[peer_id] = ws.participant_name(peer_id)
    return names[peer_id]


def _item_json(
    ws: Workspace, item: Item, names: dict[str, str], answers: list[Answer] | None = None
) -> dict[str, Any]:
    """An item as the faces show it: its author's name, its standing answers, and who comes (`attendance`:
    places left, and those coming and waiting, in arrival order; see `model.rsvp`). `answers`: every
    answer held to it, when the item does not carry them."""

    def name(peer_id: str) -> str:
        return _name(ws, names, peer_id)

    standing = list(item.answers) if answers is None else standing_answers(answers, item)
    data = item.to_json() | {"author_name": name(item.author)}
    data["answers"] = [a.to_json() | {"author_name": name(a.author)} for a in standing]
    data["attendance"] = attendance(item, standing).to_json()
    return data


def item_list(ws: Workspace, args: Args) -> Outcome:
    author = canonical_peer(args["author"]) if args["author"] else None
    item_filter = ItemFilter(
        kinds=tuple(parse_kind(k) for k in args["kinds"] or ()),
        tags=normalise_tags(args["tags"] or ()),
        author=author,
        statuses=(parse_status(args["status"]),) if args["status"] else (),
        text=args["search"] or "",
    )
    names: dict[str, str] = {}
    answers = ws.answers_by_item()
    return Outcome(
        [_item_json(ws, i, names, answers.get((i.author, i.id), [])) for i in ws.items(item_filter)]
    )


def arrived(ws: Workspace, args: Args) -> Outcome:
    """What arrived since the home was last looked at (see `app.arrivals`), with every arrival kept, the
    latest first; `mark_read`: all of them are read after this answer."""
    from reliance.app.arrivals import ArrivalBook

    book = ArrivalBook(ws.home, ws.peer_id, ws.repo.limits)
    fresh = book.catch_up(ws.repo)
    entries = book.state().entries
    if args["mark_read"]:
        book.mark_read()
    return Outcome({"new": len(fresh), "entries": [e.to_json() for e in entries]})


def item_show(ws: Workspace, args: Args) -> Outcome:
    item_id = args["item_id"].strip()
    found = ws.find_item(item_id)
    if found is None:
        if ws.withdrawn_by_author(item_id):
            raise InputError("rsvp.item_withdrawn", item=item_id)
        raise ModelError("app.workspace.no_item", id=args["item_id"])
    names: dict[str, str] = {}
    data = _item_json(ws, found, names)
    replies = ws.replies_to(found)
    for shown, answer in zip(data["answers"], found.answers, strict=True):
        shown["replies"] = [
            r.to_json() | {"author_name": _name(ws, names, r.author)}
            for r in thread(answer, replies, ws.repo.limits)
        ]
    return Outcome(data)


def programme_days(ws: Workspace, args: Args) -> Outcome:
    """Events, and offers, needs and calls with a date, by day (`reliance.model.programme`), each entry with
    its author's name; `start`..`end` (ISO days, inclusive) bound it."""
    try:
        start = date.fromisoformat(args["start"]) if args["start"] else None
        end = date.fromisoformat(args["end"]) if args["end"] else None
    except ValueError:
        raise ApiError(BAD_REQUEST, "localapi.error.days") from None
    found = programme(ws.items(), start=start, end=end, limits=ws.repo.limits)
    result = found.to_json()
    answers = ws.answers_by_item()
    who_comes: dict[tuple[str, str], dict[str, Any]] = {}  # once per item, whatever its repetitions
    names: dict[str, str] = {}
    listed_items: list[tuple[Item, dict[str, Any]]] = list(zip(found.undated, result["undated"], strict=True))
    for day, shown in zip(found.days, result["days"], strict=True):
        listed_items += [(e.item, listed) for e, listed in zip(day.entries, shown["entries"], strict=True)]
    for item, listed in listed_items:
        key = (item.author, item.id)
        if key not in who_comes:
            who_comes[key] = attendance(item, answers.get(key, [])).to_json()
        listed["attendance"] = who_comes[key]
        listed["author_name"] = _name(ws, names, item.author)
    return Outcome(result)


def code_show(ws: Workspace, args: Args) -> Outcome:
    if args["peer"]:
        texts = ws.code(canonical_peer(args["peer"]))
    elif args["project"]:
        texts = projects.project_code(ws, projects.resolve_project(ws, args["project"]))
    else:
        texts = ws.code()
    return Outcome({s.id: texts.get(s.id, "") for s in SECTIONS})


def project_list(ws: Workspace, args: Args) -> Outcome:
    return Outcome([p.to_json() for p in projects.list_projects(ws)])


# -- writes ---------------------------------------------------------------------------------------------

ITEM_FIELDS = {
    "title": Param(str, most=SHORT),
    "description": Param(str, most=TEXT),
    "tags": Param(list, most=256),
    "place": Param(str, most=SHORT),
    "begins": Param(str, most=SHORT),
    "ends": Param(str, most=SHORT),
    "reciprocity": Param(str, most=SHORT),
    "status": Param(str, most=SHORT),
    "project": Param(str, most=SHORT),
    "capacity": Param(int, most=MAX_CAPACITY + 1),  # the model says what is wrong with 0 or too many
    "repeat": Param(str, most=SHORT),  # daily, weekly, or none (an update that stops the repetition)
    "until": Param(str, most=SHORT),  # ISO 8601 day of the last occurrence
}
NO_REPEAT = "none"


def _repeat(args: Args, begins: str) -> Repeat | None:
    """The repetition the arguments ask for (None for none): its rules are the model's."""
    if (args["repeat"] or NO_REPEAT).strip().lower() == NO_REPEAT:
        return None
    return parse_repeat(args["repeat"], args["until"] or "", begins)


def _published(ws: Workspace, item: Item) -> tuple[str, ...]:
    """The document an item write changed: ours, unless the item is a draft (kept on this device)."""
    return () if ws.is_draft(item.id) else (ws.peer_id,)


def item_add(ws: Workspace, args: Args) -> Outcome:
    if not args["title"]:
        raise ModelError("model.error.no_title", field="title")
    draft = Item(
        id="",
        kind=parse_kind(args["kind"]),
        title=args["title"],
        author=ws.peer_id,
        description=args["description"] or "",
        tags=tuple(args["tags"] or ()),
        place=args["place"] or "",
        begins=args["begins"] or "",
        ends=args["ends"] or "",
        status=parse_status(args["status"]) if args["status"] else Status.PUBLISHED,
        reciprocity=args["reciprocity"] or "",
        project=args["project"] or "",
        capacity=args["capacity"],
        repeat=_repeat(args, parse_time(args["begins"], "begins") if args["begins"] else ""),
    )
    item = ws.add_item(draft)
    return Outcome(item.to_json(), _published(ws, item))


def item_update(ws: Workspace, args: Args) -> Outcome:
    changes: dict[str, Any] = {}
    for key in ITEM_FIELDS:
        value = args[key]
        if value is None or (key == "tags" and not value) or key == "until":
            continue
        if key == "repeat":
            begins = (
                args["begins"] if args["begins"] is not None else ws.my_item(args["item_id"].strip()).begins
            )
            changes["repeat"] = _repeat(args, parse_time(begins, "begins") if begins else "")
        elif key == "status":
            changes["status"] = parse_status(value)
        elif key == "tags":
            changes["tags"] = tuple(value)
        else:
            changes[key] = value
    if not changes:
        raise ModelError("localapi.error.nothing_to_update")
    item = ws.update_item(args["item_id"].strip(), **changes)
    return Outcome(item.to_json(), _published(ws, item))


def item_edit(ws: Workspace, args: Args) -> Outcome:
    """An item as a form gives it back whole: every field is set, an empty one clears it (the app's item
    form; `item.update` changes only the fields given)."""
    item_id = args["item_id"].strip()
    begins = parse_time(args["begins"], "begins") if args["begins"] else ""
    changes: dict[str, Any] = {
        "kind": parse_kind(args["kind"]),
        "title": args["title"] or "",
        "description": args["description"] or "",
        "tags": tuple(args["tags"] or ()),
        "place": args["place"] or "",
        "begins": args["begins"] or "",
        "ends": args["ends"] or "",
        "status": parse_status(args["status"]) if args["status"] else Status.PUBLISHED,
        "reciprocity": args["reciprocity"] or "",
        "project": args["project"] or "",
        "capacity": args["capacity"],
        "repeat": _repeat(args, begins),
    }
    if not changes["title"]:
        raise ModelError("model.error.no_title", field="title")
    item = ws.update_item(item_id, **changes)
    return Outcome(item.to_json(), _published(ws, item))


def item_args(item: Item) -> Args:
    """The arguments of `item.add` or `item.edit` that give this item (as a form made it)."""
    return {
        "kind": item.kind.value,
        "title": item.title,
        "description": item.description,
        "tags": list(item.tags),
        "place": item.place,
        "begins": item.begins,
        "ends": item.ends,
        "status": item.status.value,
        "reciprocity": item.reciprocity,
        "project": item.project,
        "capacity": item.capacity,
        "repeat": item.repeat.freq.value if item.repeat else NO_REPEAT,
        "until": item.repeat.until if item.repeat else "",
    }


def item_archive(ws: Workspace, args: Args) -> Outcome:
    item = ws.archive_item(args["item_id"].strip())
    return Outcome(item.to_json(), _published(ws, item))


def item_answer(ws: Workspace, args: Args) -> Outcome:
    item_id = args["item_id"].strip()
    if args["withdraw"]:
        gone = ws.withdraw_answer(item_id, args["kind"])
        return Outcome({"withdrawn": [a.to_json() for a in gone]}, (ws.peer_id,))
    answer = ws.answer(item_id, args["kind"] or "can_help", args["message"], args["contact"])
    return Outcome(answer.to_json(), (ws.peer_id,))


def item_reply(ws: Workspace, args: Args) -> Outcome:
    reply = ws.reply(args["answer_id"].strip(), args["message"], args["contact"])
    return Outcome(reply.to_json(), (ws.peer_id,))


def item_withdraw(ws: Workspace, args: Args) -> Outcome:
    item_id = args["item_id"].strip()
    draft = ws.is_draft(item_id)
    item = ws.withdraw_item(item_id)
    return Outcome(item.to_json(), () if draft else (ws.peer_id,))


def code_set(ws: Workspace, args: Args) -> Outcome:
    sid = section_id(args["section"])
    if args["project"]:
        project_id = projects.resolve_project(ws, args["project"])
        changed = projects.set_project_code(ws, project_id, sid, args["text"])
        return Outcome({"section": sid, "changed": changed}, (project_id,) if changed else ())
    changed = ws.set_code(sid, args["text"])
    return Outcome({"section": sid, "changed": changed}, (ws.peer_id,) if changed else ())


def identity_rename(ws: Workspace, args: Args) -> Outcome:
    ws.rename(args["name"])
    return Outcome({"name": args["name"].strip()}, (ws.peer_id,))


def _subscribe(_: Any, args: Args) -> Outcome:
    return Outcome({"subscribed": True})


def _describe(_: Any, args: Args) -> Outcome:
    return Outcome(TABLE.describe())


OPERATIONS = [
    Operation("api.describe", SESSION, _describe, doc="the table of operations"),
    Operation("subscribe", SESSION, _subscribe, doc="receive events on this connection"),
    Operation("whoami", READ, whoami),
    Operation(
        "item.list",
        READ,
        item_list,
        {
            "kinds": Param(list, most=16),
            "tags": Param(list, most=256),
            "author": Param(str, most=SHORT),
            "status": Param(str, most=SHORT),
            "search": Param(str, most=SHORT),
        },
    ),
    Operation("item.show", READ, item_show, {"item_id": Param(str, required=True, most=SHORT)}),
    Operation(
        "programme",
        READ,
        programme_days,
        {"start": Param(str, most=SHORT), "end": Param(str, most=SHORT)},
        doc="events and dated items by day",
    ),
    Operation(
        "code.show", READ, code_show, {"project": Param(str, most=SHORT), "peer": Param(str, most=SHORT)}
    ),
    Operation("project.list", READ, project_list),
    Operation(
        "arrived",
        READ,
        arrived,
        {"mark_read": Param(bool, default=False)},
        doc="what arrived since last looked at, and every arrival kept",
    ),
    Operation("item.add", WRITE, item_add, {"kind": Param(str, required=True, most=SHORT), **ITEM_FIELDS}),
    Operation(
        "item.update", WRITE, item_update, {"item_id": Param(str, required=True, most=SHORT), **ITEM_FIELDS}
    ),
    Operation(
        "item.edit",
        WRITE,
        item_edit,
        {
            "item_id": Param(str, required=True, most=SHORT),
            "kind": Param(str, required=True, most=SHORT),
            **ITEM_FIELDS,
        },
        doc="set every field of an item (a form's whole item)",
    ),
    Operation("item.archive", WRITE, item_archive, {"item_id": Param(str, required=True, most=SHORT)}),
    Operation(
        "item.answer",
        WRITE,
        item_answer,
        {
            "item_id": Param(str, required=True, most=SHORT),
            "kind": Param(str, most=SHORT),
            "message": Param(str, most=TEXT, default=""),
            "contact": Param(str, most=SHORT),
            "withdraw": Param(bool, default=False),
        },
    ),
    Operation(
        "item.reply",
        WRITE,
        item_reply,
        {
            "answer_id": Param(str, required=True, most=SHORT),
            "message": Param(str, most=TEXT, default=""),
            "contact": Param(str, most=SHORT, default=""),
        },
    ),
    Operation("item.withdraw", WRITE, item_withdraw, {"item_id": Param(str, required=True, most=SHORT)}),
    Operation(
        "code.set",
        WRITE,
        code_set,
        {
            "section": Param(str, required=True, most=SHORT),
            "text": Param(str, required=True, most=TEXT),
            "project": Param(str, most=SHORT),
        },
    ),
    *PROJECT_OPERATIONS,
    Operation("identity.rename", WRITE, identity_rename, {"name": Param(str, required=True, most=SHORT)}),
    Operation("status", NODE, node_status, doc="the owner, its listening address, last sync and peers"),
    Operation("peers", NODE, node_peers, doc="every peer with its state"),
    Operation("peer.add", NODE, peer_add, {"address": Param(str, required=True, most=SHORT)}),
    Operation("peer.accept", NODE, peer_accept, {"peer_id": Param(str, required=True, most=SHORT)}),
    Operation(
        "peer.remove",
        NODE,
        peer_remove,
        {"target": Param(str, required=True, most=SHORT)},
        doc="forget a typed address or a peer",
    ),
    Operation(
        "peer.block",
        NODE,
        peer_block,
        {"peer_id": Param(str, required=True, most=SHORT), "reason": Param(str, most=SHORT, default="")},
    ),
    Operation("peer.unblock", NODE, peer_unblock, {"peer_id": Param(str, required=True, most=SHORT)}),
    Operation("refresh", NODE, refresh, {"doc_ids": Param(list, most=DOC_IDS)}, doc="re-read the store"),
    Operation(
        "sync",
        NODE,
        sync_with,
        {"address": Param(str, required=True, most=SHORT), "timeout_ms": Param(int, most=86_400_000)},
        doc="sync once with a peer at HOST:PORT, until both hold the same",
    ),
    Operation("web.url", NODE, web_url, doc="the web face's addresses and certificate fingerprint"),
    Operation("web.pair", NODE, web_pair, doc="a one-time pairing link for a browser"),
    Operation("web.sessions", NODE, web_sessions, doc="the paired browsers"),
    Operation(
        "web.revoke",
        NODE,
        web_revoke,
        {"session_id": Param(str, required=True, most=SHORT)},
        doc="end a paired browser's session",
    ),
    *DEVICE_OPERATIONS,
    *IMPORT_OPERATIONS,
    *DIVIDEND_OPERATIONS,
]

TABLE = Dispatcher(OPERATIONS)


def run_here(ws: Workspace, name: str, args: Mapping[str, Any]) -> Outcome:
    """A store operation run on this process's own workspace (checked as a client's would be): the app
    with no owner to ask."""
    from reliance.localapi.protocol import Request

    operation, checked = TABLE.prepare(Request(0, name, dict(args)))
    if operation.kind not in (READ, WRITE):
        raise ApiError(UNAVAILABLE, "localapi.error.no_node_for", op=name)
    outcome: Outcome = operation.handler(ws, checked)
    return outcome


class LocalApi:
    """The store operations run on the store itself, in this process: the CLI without a running owner."""

    owner: dict[str, Any] | None = None

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @staticmethod
    def writes(op: str) -> bool:
        """Whether `op` writes the store (the command must hold the home to run it here)."""
        operation = TABLE.operations.get(op)
        return operation is not None and operation.kind == WRITE

    def call(self, op: str, args: Mapping[str, Any] | None = None) -> Any:
        from reliance.localapi.protocol import Request

        operation, checked = TABLE.prepare(Request(0, op, dict(args or {})))
        if operation.kind not in (READ, WRITE):
            raise ApiError(UNAVAILABLE, "localapi.error.no_node_for", op=op)
        return operation.handler(self.workspace, checked).result

    def close(self) -> None:
        pass
