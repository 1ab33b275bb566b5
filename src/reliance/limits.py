"""Every limit and quota that bounds what a peer, a bundle or a file can make a node do, in one place.

Each value is a default; `docs/security.md` lists them in a table with what each protects. A node reads
them once at start (`Limits()`, or with overrides from `config.json` / `RELIANCE_LIMIT_*`, see
`limits_from`), and passes the same object to every part that enforces one, so that what the door lets
in is exactly what the store can read back.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# A log record holds one change chunk plus a signature (64 bytes), a time and msgpack keys.
RECORD_OVERHEAD = 1 * KIB


@dataclass(frozen=True)
class Limits:
    # -- bytes at the door: frames, messages, chunks, msgpack ------------------------------------------------

    # Largest frame (one transport message) a session reads or a node accepts. A first sync to an empty
    # peer carries a whole document in one frame, so it stays above `max_document_bytes`.
    max_frame: int = 64 * MIB
    # Longest msgpack string in a frame, a stored record or a bundle (ids, types, dates, reasons).
    max_packed_string: int = 4 * KIB
    # Most entries in one msgpack map: frames, records and bundle entries have a handful of keys.
    max_packed_map: int = 64
    # Deepest msgpack nesting read anywhere (a bundle, the deepest schema, has 5 levels).
    max_packed_depth: int = 16
    # What decoding msgpack may cost in Python objects, as a multiple of its size (beyond 64 KiB): each
    # item's cost is estimated from its type and length before anything is built (an empty map is one
    # byte and 64 in memory). Real frames, records, snapshots and bundles cost 2 to 5 times their size.
    packed_memory_multiple: int = 6

    # -- changes and documents -------------------------------------------------------------------------------
    # Operations in one change: every one is read to check the change is automerge's own encoding of itself
    # (run-length columns could announce billions in a few bytes). A paste of 256 Ki characters fits.
    change_ops: int = 256 * 1024

    # Largest change, uncompressed, and largest change chunk as carried: checked at the door before
    # anything is applied, and by the store when it reads a change back (it is the same value).
    max_change_bytes: int = 4 * MIB
    # Largest document: the uncompressed bytes of its changes, applied and waiting. Also bounds what a
    # whole-document chunk may inflate to, and what one sync message may inflate in total.
    max_document_bytes: int = 32 * MIB

    # Removals and demotions of a project's members concurrent with one another (none in the past of
    # another): beyond this many, a further one is refused at the door. Weighing them against each other
    # (strong removal) costs more than linear time in their number; honest stewards rarely remove
    # people at the same time on both sides of a partition.
    project_concurrent_revocations: int = 64

    # -- the pending buffer ----------------------------------------------------------------------------------

    # Changes waiting for a dependency are kept, per document, up to these counts and uncompressed bytes;
    # beyond them a waiting change is not stored (its sender still has it and sends it again later).
    max_pending_changes: int = 1000
    max_pending_bytes: int = 8 * MIB
    # ... and per author within a document, so one key cannot take the whole buffer.
    max_pending_changes_per_author: int = 200
    max_pending_bytes_per_author: int = 4 * MIB
    # A waiting change whose dependencies did not come within this time is forgotten.
    pending_ttl_seconds: int = 14 * 24 * 3600

    # -- sessions: summaries and work per peer ---------------------------------------------------------------
    # Documents one `summary` frame may list; a longer one is refused, ours is cut to it. Above what a
    # node holds under its quotas (its own, its projects', `others_max_documents`), below what would
    # keep the sync worker busy for long (checking an entry costs ~10 us, opening its sync ~50 us).
    summary_max_documents: int = 10_000
    # Documents a session syncs without the node holding them (an empty scratch document and a sync
    # state each): the least recently used is forgotten beyond this, and rebuilt if the peer returns to it.
    session_max_unknown_documents: int = 1_000
    # Milliseconds of work one session does per turn of the sync worker (the summary's entries, the
    # syncs it opens) before every other peer's waiting work gets its turn.
    session_turn_ms: int = 50

    # -- quotas on other people's documents ------------------------------------------------------------------
    # "Others' documents": participant documents but the owner's, and projects the owner is not a member
    # of (the owner's own and its projects' are never counted). Beyond a quota, a document or a batch
    # is not stored, hence not relayed; the peer is not blamed (`reliance doctor` shows the usage).
    # Documents of others held, in all.
    others_max_documents: int = 5_000
    # Their bytes on disk (snapshot and log), in all.
    others_max_bytes: int = 512 * MIB
    # Documents of others by one author: their participant document and the projects they created.
    author_max_documents: int = 32
    # Their bytes on disk, per author.
    author_max_bytes: int = 32 * MIB

    # -- connections -----------------------------------------------------------------------------------------
    # Authenticated incoming connections at once (each holds a socket, buffers and a sync session);
    # beyond, a stranger is refused with a reason, and a known (accepted) peer takes a stranger's place.
    connections_max: int = 64
    # Authenticated incoming connections from one IP address (known peers are not held to it).
    connections_max_per_address: int = 8
    # Incoming sockets still in their handshake (unauthenticated): the oldest is dropped for a new one.
    handshakes_max: int = 64
    # ...from one IP address (the oldest from that address is dropped for a new one).
    handshakes_max_per_address: int = 16
    # Bytes received and not yet handled, over all incoming connections (each one also holds at most
    # one message): a stranger's connection waits for room, then is dropped; known peers never wait.
    connections_buffer_total_bytes: int = 256 * MIB
    # Bytes waiting to be sent, over all connections: beyond, the connection that has waited longest
    # for its peer to read is dropped (each one is also dropped past two messages and a MiB waiting).
    connections_outbox_total_bytes: int = 256 * MIB

    # -- discovery and peers ---------------------------------------------------------------------------------
    max_pending_peers: int = 64  # strangers waiting for acceptance (policy known): in memory only, oldest go
    max_remembered_peers: int = 256  # peers met but not accepted by hand that peers.json keeps, latest first
    max_advertised_addresses: int = 64  # mDNS-advertised addresses waiting to be dialled, each with a backoff
    max_discovered_services: int = 128  # mDNS service instances tracked at once; further ones are ignored

    # -- the store: documents in memory ---------------------------------------------------------------------
    # Documents kept open in memory (an automerge document, its signatures and waiting changes each); the
    # least recently used is closed beyond this and read again from disk when needed (never one that is
    # being written). Memory then follows the documents in use, not every document held.
    max_open_documents: int = 512
    # Records in a document's log after which it is compacted into a snapshot (after a peer's batch the
    # node's maintenance does it, unless the log holds 8 times as many).
    compact_after_records: int = 2000

    # -- identity: devices and their certificates -----------------------------------------------------------
    # Devices of one participant read from their participant document (by device key; more are ignored),
    # and certified by `device invite` (beyond, it refuses: revoke one first).
    devices_per_participant: int = 64
    # Largest device grant (certificate, names and the bundle of documents handed to a new device) read.
    device_grant_bytes: int = 256 * MIB

    # -- bundles ---------------------------------------------------------------------------------------------

    # Largest bundle file read (it is read whole, then decoded: a few times this in memory).
    max_bundle_bytes: int = 256 * MIB
    # Largest JSON export read by `reliance import` (read whole, then parsed: a few times this in memory).
    max_import_json_bytes: int = 64 * MIB

    # -- linking a device (`reliance device invite` / `join`) ------------------------------------------------
    # Seconds an invitation stays open; past it a joiner is told it expired.
    link_invitation_seconds: int = 600
    # Seconds `device invite` keeps answering once its invitation ended unlinked (expired or used), so that a
    # late joiner is told why rather than finding nobody; it stops sooner once it told one.
    link_late_answer_seconds: int = 30
    # Seconds one side of a link may take for its next message (a slow or silent joiner is dropped; the
    # inviter keeps listening for others until the invitation is claimed or expires).
    link_step_seconds: int = 30
    # Seconds the joiner waits for its grant once it proved the code: the inviter certifies it and bundles
    # the documents handed over (a large home takes a while).
    link_grant_seconds: int = 300
    # Connections to one invitation at once, before any of them claimed it; more are closed at once.
    link_max_connections: int = 8
    # Largest message of the link's exchange but the grant (hello, SPAKE2 messages, confirmations).
    link_max_message: int = 4 * KIB
    # (The grant itself is bounded by `device_grant_bytes`, in the identity section.)
    # Longest device name, in characters.
    link_device_name_chars: int = 64

    # -- the local API (a Unix socket in the home: the CLI, the app, the web face beside the owner) ------
    # Largest request frame the owner reads from a local client (a social-code section or an item's text
    # fits many times); the header announcing more is refused before anything else is read.
    localapi_max_request: int = 8 * MIB
    # Largest response or event frame a local client reads from the owner (a whole catalogue listing).
    localapi_max_response: int = 64 * MIB
    # Local clients connected at once; one more is told the owner is busy and closed.
    localapi_max_clients: int = 64
    # Bytes of responses and events waiting for one client; a subscriber that does not read is dropped.
    localapi_outbox_bytes: int = 8 * MIB
    # Seconds a client may take to send the rest of a frame it started, or to take one frame we send.
    localapi_frame_seconds: int = 10
    # Seconds a connection that did not subscribe to events may stay silent between requests.
    localapi_idle_seconds: int = 600
    # Characters of a refusal's text, and of each of its parameters, that a client keeps from the owner
    # (and the owner sends): a longer one is cut before it is cleaned and shown.
    localapi_error_chars: int = 1_000
    # Seconds a command that writes the store itself, a `serve` or the app waits for another command that
    # holds the home meanwhile (a bundle import without a running owner) before it gives up with one line.
    localapi_owner_wait_seconds: int = 300

    # -- what a person types, and what the programme expands -------------------------------------------------
    # A date or an amount as typed in a form, an option or a web request, bounded before any parser sees it.
    typed_value_chars: int = 100
    # Occurrences of one repeating item in a programme or a calendar window (daily for more than a year).
    occurrences_per_item: int = 400

    # -- answers and their conversations ------------------------------------------------------------------
    # Longest message of an answer or a reply, in characters: refused when written, and an answer or reply
    # holding a longer one is left out (never shown cut) when read from anyone's document.
    answer_message_chars: int = 2_000
    # Longest contact or meeting point on an answer or a reply (one line), the same way.
    answer_contact_chars: int = 200
    # Messages under one answer (its conversation) that are shown, the earliest first; one more is refused
    # when written.
    thread_max_replies: int = 50

    # -- the web face (phones on the network; docs/web.md) ------------------------------------------------
    # Largest request body the web face reads (aiohttp's client_max_size): a form, never a file.
    web_max_body: int = 64 * KIB
    # Longest one-line field of a form (a title, a place, a tag list, a contact), in characters.
    web_short_chars: int = 500
    # Longest multi-line field of a form (a description, an answer, a social-code section), in characters.
    web_text_chars: int = 20_000
    # Longest search text or filter in a page's address, in characters (longer ones are cut, then searched).
    web_query_chars: int = 200
    # Items on one page of the catalogue, and entries on one day of the programme page.
    web_page_items: int = 50
    # Browsers following live changes at once (server-sent events); the next is told to reload by hand.
    web_max_subscribers: int = 256
    # Paired browser sessions kept; pairing one more drops the one unused longest.
    web_max_sessions: int = 16
    # Seconds a pairing link stays valid (it works once).
    web_pair_seconds: int = 600
    # Pairing links waiting to be opened at once; making another drops the oldest.
    web_max_pairings: int = 8
    # Failed pairing attempts per minute from one address, and from all of them; past either, refused.
    web_pair_failures_per_address: int = 10
    web_pair_failures_total: int = 60
    # Rendered pages kept per version of the commons (a new change empties it).
    web_page_cache: int = 512
    # -- what arrived (the home's `arrivals.json`: what the app and `reliance arrived` show) -------------
    # Arrivals kept and shown, the latest first; older ones are forgotten.
    arrivals_kept: int = 500
    # Largest arrivals.json read; a larger one is ignored and the documents are looked at afresh.
    arrivals_file_bytes: int = 4 * MIB
    # Heads remembered per document; a document with more is looked at afresh next time.
    arrivals_heads_per_document: int = 64
    # Longest text kept of one arrival's field (a title, a message, a name), in characters.
    arrivals_text_chars: int = 2_000

    @property
    def max_record(self) -> int:
        """Largest log record the store writes: one change and its signature, received time and keys."""
        return self.max_change_bytes + RECORD_OVERHEAD

    def replace(self, **changes: Any) -> Limits:
        return dataclasses.replace(self, **changes)


DEFAULT_LIMITS = Limits()

ENV_PREFIX = "RELIANCE_LIMIT_"


def limits_from(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Limits:
    """The defaults, with positive integer overrides from a mapping (config.json's `limits`) and then
    from `RELIANCE_LIMIT_<FIELD>` variables; anything else is ignored (a damaged setting must not
    lift a limit or stop a node)."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in dataclasses.fields(Limits)}
    values: dict[str, int] = {}
    for name, value in (overrides or {}).items():
        if name in names and type(value) is int and value > 0:
            values[name] = value
    for name in names:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw.isascii() and raw.isdigit() and int(raw) > 0:
            values[name] = int(raw)
    return DEFAULT_LIMITS.replace(**values)
