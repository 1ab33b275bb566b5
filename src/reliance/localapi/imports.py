"""Local API operations that import a file into the home: a bundle (`reliance bundle import`) and a JSON
export (`reliance import`).

The client names the file (`path` as the person typed it, and the command's working directory `cwd`), and
whoever runs the operation reads it: the owner on its worker, beside the peers' sessions, or the command
itself when it holds the home (no owner runs). The bytes never travel in a request (a bundle may be far
larger than `localapi_max_request`); the file is read as a regular file only, within `max_bundle_bytes` or
`max_import_json_bytes`, so that a pipe or a device named by a client cannot stall the owner. A bundle is
checked whole and stored through the one write path of batches (`replication.bundle.import_docs`), all or
nothing; what it changed is announced by the owner like any other write.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.localapi.protocol import BAD_REQUEST, READ, WRITE, ApiError, Operation, Outcome, Param

PATH = 4096


def _file(args: dict[str, Any]) -> Path:
    if "\x00" in args["cwd"] or "\x00" in args["path"]:
        raise ApiError(BAD_REQUEST, "localapi.error.nul_in_path", field="path")
    cwd = Path(args["cwd"])
    if not cwd.is_absolute():
        raise ApiError(BAD_REQUEST, "localapi.error.relative_cwd", field="cwd")
    return cwd / str(args["path"])


def bundle_import(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """Verify a bundle file and apply it (BundleRefused: nothing of it was written)."""
    from reliance.replication.bundle import import_bundle

    summary = import_bundle(ws.repo, _file(args), settings.blocked_keys(ws.home), label=args["path"])
    rows = [
        {
            "doc": o.doc_id,
            "added": len(o.applied),
            "waiting": len(o.pending),
            "already_had": o.duplicate,
            "blocked": o.blocked,
            "new_document": o.created,
            "not_kept": o.turned_away,
        }
        for o in summary.outcomes
    ]
    changed = tuple(o.doc_id for o in summary.outcomes if o.applied or o.pending or o.created)
    earlier = [dataclasses.asdict(notice) for notice in summary.earlier]
    return Outcome({"rows": rows, "earlier": earlier, "applied": summary.applied}, changed)


def export_import(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """Merge a JSON export into this participant's document."""
    return _export_import(ws, args, dry_run=False)


def export_import_preview(ws: Workspace, args: dict[str, Any]) -> Outcome:
    """What `import` would merge, with nothing written (a read: the home is not even held for it)."""
    return _export_import(ws, args, dry_run=True)


def _export_import(ws: Workspace, args: dict[str, Any], *, dry_run: bool) -> Outcome:
    from reliance.export.importer import import_export

    summary = import_export(ws, _file(args), dry_run=dry_run, label=args["path"])
    changed = (ws.peer_id,) if summary.changed and not summary.dry_run else ()
    return Outcome({"summary": summary.to_json(), "found_mine": summary.found_mine}, changed)


FILE_PARAMS = {"path": Param(str, required=True, most=PATH), "cwd": Param(str, required=True, most=PATH)}

IMPORT_OPERATIONS = [
    Operation(
        "bundle.import", WRITE, bundle_import, FILE_PARAMS, doc="verify a bundle file and apply it whole"
    ),
    Operation("import", WRITE, export_import, FILE_PARAMS, doc="merge a JSON export into your document"),
    Operation("import.preview", READ, export_import_preview, FILE_PARAMS, doc="what `import` would merge"),
]
