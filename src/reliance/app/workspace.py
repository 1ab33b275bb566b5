"""The library API: one participant's home, identity and documents.

The CLI, the Textual app and the node all go through this class; it holds no UI and no network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reliance.app.drafts import DraftStore, is_published
from reliance.app.home import tighten_home
from reliance.automerge.crdt import Writer
from reliance.certificate import decode_certificate
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.doc import devices, participant
from reliance.errors import (
    DeviceError,
    DocumentError,
    IdentityError,
    ModelError,
    OwnDocumentMissing,
    RelianceError,
)
from reliance.i18n import phrase
from reliance.identity import (
    Identity,
    create_identity_with_phrase,
    has_control_characters,
    has_identity,
    identity_dir,
    key_is_encrypted,
    load_identity,
    load_public_identity,
    set_profile_name,
)
from reliance.limits import Limits
from reliance.model import search
from reliance.model.catalogue import (
    Answer,
    AnswerKind,
    Item,
    ItemKind,
    Reply,
    Status,
    check_encodable,
    parse_answer_kind,
    validate_answer_message,
)
from reliance.model.codesocial import section_id, validate_section_text
from reliance.model.messages import InputError
from reliance.model.rsvp import (
    checked_text,
    plan_answer,
    plan_reply,
    plan_withdrawal,
    reply_time,
    standing_answers,
    thread,
)
from reliance.replication import authority
from reliance.replication.auth import CLONED_MARK
from reliance.store.repository import DocKind, Repository, StoredDoc, doc_kind

if TYPE_CHECKING:
    from reliance.replication.bundle_journal import ImportNotice

logger = logging.getLogger(__name__)

OnUnreadable = Callable[[str, RelianceError], None]
"""Told of each document left out because it cannot be read: (its id, why)."""


@dataclass(frozen=True)
class ItemFilter:
    kinds: tuple[ItemKind, ...] = ()
    tags: tuple[str, ...] = ()
    author: str | None = None
    statuses: tuple[Status, ...] = ()
    text: str = ""

    def matches(self, item: Item, author_name: str = "") -> bool:
        """Whether `item` passes; the text is searched whatever the case and accents, in the title, text,
        place, tags and `author_name`."""
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.tags and not set(self.tags) & set(item.tags):
            return False
        if self.author and item.author != self.author:
            return False
        if self.statuses and item.status not in self.statuses:
            return False
        return not self.text or search.matches(item, self.text, author_name)


class Workspace:
    def __init__(
        self, home: Path, identity: Identity, limits: Limits | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        """`limits`: those of the home (config.json, environment) unless given. `clock`: where every write
        of this home reads the time and draws its ids (a fixed one in tests: see reliance.clock)."""
        from reliance.app.settings import load_limits

        self.home = home
        self.identity = identity
        self.clock = clock
        tighten_home(home)  # homes written by older versions were world-readable
        self.repo = Repository(
            home, identity.public_key, limits=limits or load_limits(home), clock=clock.time
        )
        self.repo.on_open.append(authority.warm)
        self.drafts = DraftStore(home, identity.peer_id)  # items that never left this device
        self.notices: list[ImportNotice] = self._complete_interrupted_import()

    # -- opening -------------------------------------------------------------------------------------------
    recovery_phrase = ""  # set by `create` only: shown once, never stored

    @classmethod
    def create(
        cls,
        home: Path,
        name: str,
        passphrase: bytes | None = None,
        *,
        device_name: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> Workspace:
        """A new participant on this device: its recovery phrase (in `recovery_phrase`), the participant
        key it stands for, this device's key and certificate, and the first change of its document."""
        identity, phrase = create_identity_with_phrase(home, name, passphrase, device_name=device_name)
        workspace = cls(home, identity, clock=clock)
        workspace.recovery_phrase = phrase
        workspace.start_my_document()
        return workspace

    @classmethod
    def open(cls, home: Path, passphrase: bytes | None = None, *, clock: Clock = SYSTEM_CLOCK) -> Workspace:
        if not has_identity(home):
            raise IdentityError("app.workspace.no_identity", home=home)
        if (identity_dir(home) / CLONED_MARK).exists():
            raise DeviceError("device.cloned")
        workspace = cls(home, load_identity(home, passphrase), clock=clock)
        workspace.move_drafts_out()
        return workspace

    @classmethod
    def open_to_read(
        cls, home: Path, passphrase: bytes | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> Workspace | None:
        """The home opened for reading only, without the key's passphrase: a key behind one gives a locked
        identity (whoami, listings, exports; any write raises `IdentityLocked`). None when the passphrase is
        needed all the same (a profile written before it kept the peer id) or not asked for (no passphrase
        on the key, or one given: then `open` is the way)."""
        if passphrase or not has_identity(home) or not key_is_encrypted(home):
            return None
        identity = load_public_identity(home)
        return cls(home, identity, clock=clock) if identity is not None else None

    def _complete_interrupted_import(self) -> list[ImportNotice]:
        """A bundle import killed midway is finished now (see `sync.bundle_journal`); what happened is
        returned for the face to show. Never stops the home from opening."""
        from reliance.app import settings
        from reliance.replication.bundle_journal import ImportNotice, complete_interrupted

        try:
            blocked = settings.blocked_keys(self.home)
        except RelianceError as exc:
            return [ImportNotice("retry", "blocks.json", "", reason=str(exc))]
        try:
            return complete_interrupted(self.repo, blocked)
        except Exception as exc:  # the journal stays for the next open; the home opens all the same
            logger.exception("completing an interrupted bundle import failed")
            return [ImportNotice("retry", "bundle-import.journal", "", reason=f"{type(exc).__name__}: {exc}")]

    @property
    def peer_id(self) -> str:
        return self.identity.peer_id

    def my_doc(self) -> StoredDoc:
        """Our participant document, to write to.

        `create` wrote its first change; a home holding the identity without that document was restored
        from a saved identity. Writing there would start a second history under the same key, which
        Automerge and every peer holding the first one refuse for ever: the document must come back first.
        """
        doc = self._my_doc_if_held()
        if doc is None:
            raise OwnDocumentMissing("app.workspace.own_document_missing")
        return doc

    def start_my_document(self) -> StoredDoc:
        """Write the first change of our participant document: at `create`, or again on request when it is
        lost everywhere. Refused while it is here (that would be a second history)."""
        doc = self.repo.open(self.peer_id, create=True)
        if doc.known:
            raise DocumentError("app.workspace.own_document_here")
        certificate = self.identity.certificate

        def start(writer: Writer) -> None:
            participant.genesis(writer, self.peer_id, self.identity.name, clock=self.clock)
            if certificate is not None:
                devices.record_device(writer, decode_certificate(certificate))

        self._write(doc, start)
        return doc

    def move_drafts_out(self) -> list[str]:
        """Earlier versions kept drafts in the participant document, which is replicated: move them to the
        drafts file and delete them from the document (copies already sent cannot be recalled, and the
        document's history keeps their text). Returns the ids moved."""
        doc = self._my_doc_if_held()
        if doc is None:
            return []
        ids = participant.draft_ids(doc.crdt)
        if not ids:
            return []
        found = [participant.read_item(doc.crdt, item_id, self.peer_id) for item_id in ids]
        self.drafts.put_many([item for item in found if item is not None])  # kept before it is deleted

        def delete(writer: Writer) -> None:
            for item_id in ids:
                participant.delete_item(writer, item_id)

        self._write(doc, delete)
        return ids

    def _my_doc_if_held(self) -> StoredDoc | None:
        if not self.repo.exists(self.peer_id):
            return None
        doc = self.repo.open(self.peer_id)
        return doc if doc.known else None

    def my_doc_if_held(self) -> StoredDoc | None:
        """Our participant document, or None while it is not here (a recovered identity)."""
        return self._my_doc_if_held()

    def write_own(self, doc: StoredDoc, edit: Callable[[Writer], object]) -> bool:
        """One local change to a document of ours (the participant document's one write path)."""
        return self._write(doc, edit)

    def _write(self, doc: StoredDoc, edit: Callable[[Writer], object]) -> bool:
        certificate = self.identity.certificate
        if certificate is not None and doc.doc_id == self.peer_id and doc.known:
            record = devices.unrecorded(doc.crdt, certificate)
            if record is not None:  # a recovered device: its certificate goes in with its first write

                def edit_and_record(writer: Writer) -> object:
                    devices.record_device(writer, record)
                    return edit(writer)

                return doc.local_change(self.identity.sign, edit_and_record) is not None
        return doc.local_change(self.identity.sign, edit) is not None

    # -- documents -----------------------------------------------------------------------------------------
    def participant_docs(self, on_unreadable: OnUnreadable | None = None) -> list[StoredDoc]:
        """Every participant document held. Another's that cannot be read is left out (and reported to
        `on_unreadable` when given); our own unreadable is an error, never shown as empty."""
        docs = []
        for doc_id in self.repo.doc_ids():
            if doc_kind(doc_id) == DocKind.PARTICIPANT:
                try:
                    docs.append(self.repo.open(doc_id))
                except RelianceError as exc:
                    if doc_id == self.peer_id:
                        raise
                    if on_unreadable is not None:
                        on_unreadable(doc_id, exc)
        return docs

    def participant_name(self, peer_id: str, on_unreadable: OnUnreadable | None = None) -> str:
        """The name a participant gives themself; "" when their document is not held or cannot be read
        (reported to `on_unreadable` when given): a name never stops what shows it."""
        if not self.repo.exists(peer_id):
            return ""
        try:
            return participant.name(self.repo.open(peer_id).crdt)
        except RelianceError as exc:
            if on_unreadable is not None:
                on_unreadable(peer_id, exc)
            return ""

    # -- social code ---------------------------------------------------------------------------------------
    def code(self, doc_id: str | None = None, heads: Sequence[bytes] | None = None) -> dict[str, str]:
        doc = self.repo.open(doc_id) if doc_id else self._my_doc_if_held()
        return participant.read_code(doc.crdt, heads) if doc is not None else {}

    def set_code(self, section: str, text: str) -> bool:
        sid = section_id(section)
        text = validate_section_text(text)
        doc = self.my_doc()
        before = doc.heads()
        return self._write(
            doc, lambda w: participant.set_section(w, sid, text, self.peer_id, before, clock=self.clock)
        )

    def history(self, doc_id: str | None = None) -> list[participant.Amendment]:
        doc = self.repo.open(doc_id) if doc_id else self._my_doc_if_held()
        return participant.read_history(doc.crdt) if doc is not None else []

    # -- catalogue -----------------------------------------------------------------------------------------
    def add_item(self, draft: Item) -> Item:
        """A new item: published (written to the participant document, so sent to peers) when its status
        is published or matched; otherwise kept in the drafts file, on this device only."""
        stamp = self.clock.now_iso()
        item = replace(
            draft, id=self.clock.new_id(), author=self.peer_id, created=stamp, updated=stamp
        ).validated()
        if is_published(item.status):
            self._write(self.my_doc(), lambda w: participant.write_item(w, item, new=True))
        else:
            self.my_doc()  # the same refusal as a published item when the document is not here
            self.drafts.put(item)
        return item

    def my_item(self, item_id: str) -> Item:
        item = participant.read_item(self.my_doc().crdt, item_id, self.peer_id)
        if item is None:
            item = self.drafts.get(item_id)
        if item is None:
            if self.find_item(item_id) is not None:
                raise ModelError("app.workspace.not_yours", id=item_id)
            raise ModelError("app.workspace.no_item", id=item_id)
        return item

    def is_draft(self, item_id: str) -> bool:
        """Whether `item_id` is one of our items that was never published (it lives in the drafts file)."""
        doc = self._my_doc_if_held()
        in_document = doc is not None and participant.read_item(doc.crdt, item_id, self.peer_id) is not None
        return not in_document and self.drafts.get(item_id) is not None

    def update_item(self, item_id: str, **changes: object) -> Item:
        current = self.my_item(item_id)
        updated = replace(current, **changes, updated=self.clock.now_iso()).validated()  # type: ignore[arg-type]
        if updated == replace(current, updated=updated.updated):
            return current
        if self.is_draft(item_id):
            if is_published(updated.status):  # published now: it leaves the device from here on
                self._write(self.my_doc(), lambda w: participant.write_item(w, updated, new=True))
                self.drafts.remove(item_id)
            else:
                self.drafts.put(updated)
            return updated
        if updated.status is Status.DRAFT:
            raise ModelError("app.workspace.published", id=item_id)
        self._write(self.my_doc(), lambda w: participant.write_item(w, updated, new=False))
        return updated

    def archive_item(self, item_id: str) -> Item:
        return self.update_item(item_id, status=Status.ARCHIVED)

    def items(
        self,
        item_filter: ItemFilter | None = None,
        *,
        drafts: bool = True,
        on_unreadable: OnUnreadable | None = None,
    ) -> list[Item]:
        """Every item held, and (unless `drafts` is False) our own items never published. The items of a
        participant document that cannot be read are left out (see `participant_docs`)."""
        chosen = item_filter or ItemFilter()
        found: list[Item] = []
        for doc in self.participant_docs(on_unreadable):
            name = participant.name(doc.crdt) if chosen.text else ""  # the text searches it too
            found.extend(
                item for item in participant.read_items(doc.crdt, doc.doc_id) if chosen.matches(item, name)
            )
        if drafts:
            mine = {item.id for item in found if item.author == self.peer_id}
            name = self.identity.name if chosen.text else ""
            found.extend(i for i in self.drafts.items() if i.id not in mine and chosen.matches(i, name))
        found.sort(key=lambda i: (i.created, i.id), reverse=True)
        return found

    def find_item(self, item_id: str) -> Item | None:
        """One item, with the answers that stand (one per person and kind, not withdrawn; see
        `model.rsvp`) in arrival order."""
        for doc in self.participant_docs():
            item = participant.read_item(doc.crdt, item_id, doc.doc_id)
            if item is not None:
                return replace(item, answers=tuple(standing_answers(self.answers_to(item_id), item)))
        return self.drafts.get(item_id)

    def answer(self, item_id: str, kind: str, message: str = "", contact: str | None = None) -> Answer:
        """Answer an item: my standing answer of that kind is updated if there is one (one answer per
        person and kind; its contact changes only when `contact` is given), else a new one is written.
        `coming` to a full item is refused (`rsvp.full`)."""
        item = self.find_item(item_id)
        if item is None:
            raise ModelError("app.workspace.no_item", id=item_id)
        if self.is_draft(item_id):
            raise ModelError("app.workspace.draft", id=item_id)
        answer_kind = parse_answer_kind(kind)
        text, contact_text = checked_text(
            validate_answer_message(message), validate_answer_message(contact or ""), self.repo.limits
        )
        held = self.answers_to(item_id)
        standing = plan_answer(item, answer_kind, self.peer_id, held)
        if standing is not None:
            current = next(a for a in held if a.id == standing)
            kept = contact_text if contact is not None else current.contact
            new_contact = contact_text if contact is not None else None
            self._write(self.my_doc(), lambda w: participant.update_answer(w, standing, text, new_contact))
            return replace(current, message=text, contact=kept)
        answer = Answer(
            id=self.clock.new_id(),
            item_id=item_id,
            item_author=item.author,
            kind=answer_kind,
            message=text,
            author=self.peer_id,
            created=self.clock.now_iso(),
            contact=contact_text,
        )
        self._write(self.my_doc(), lambda w: participant.write_answer(w, answer))
        return answer

    def withdraw_answer(self, item_id: str, kind: str | None = None) -> list[Answer]:
        """Take back my standing answer of `kind` to an item (without `kind`: my only one). It stays in my
        document, marked withdrawn (see `model.rsvp`); returns the answers withdrawn."""
        item = self.find_item(item_id)
        if item is None:
            raise ModelError("app.workspace.no_item", id=item_id)
        held = self.answers_to(item_id)
        if kind is None:
            kinds = {a.kind for a in item.answers if a.author == self.peer_id}
            if len(kinds) > 1:
                raise InputError("cli.item.withdraw_needs_kind", field="kind")
            answer_kind = kinds.pop() if kinds else AnswerKind.CAN_HELP
        else:
            answer_kind = parse_answer_kind(kind)
        ids = plan_withdrawal(item, answer_kind, self.peer_id, held)
        at = self.clock.now_iso()

        def withdraw(writer: Writer) -> None:
            for answer_id in ids:
                participant.withdraw_answer(writer, answer_id, at)

        self._write(self.my_doc(), withdraw)
        return [replace(a, withdrawn=at) for a in held if a.id in ids]

    def replies_to(self, item: Item) -> list[Reply]:
        """Every reply held under the answers to `item` (`model.rsvp.thread` picks each conversation)."""
        out: list[Reply] = []
        for doc in self.participant_docs():
            out.extend(
                r
                for r in participant.read_replies(doc.crdt, doc.doc_id, self.repo.limits)
                if r.item_id == item.id and r.item_author == item.author
            )
        return out

    def reply(self, answer_id: str, message: str, contact: str = "") -> Reply:
        """Write under an answer: as the answered item's author, or as the answer's author."""
        text, contact_text = checked_text(
            validate_answer_message(message), validate_answer_message(contact), self.repo.limits
        )
        if not text and not contact_text:
            raise InputError("rsvp.reply_empty", field="message")
        found = [
            a
            for doc in self.participant_docs()
            for a in participant.read_answers(doc.crdt, doc.doc_id, self.repo.limits)
            if a.id == answer_id and not a.withdrawn
        ]
        # An answer id is chosen by its writer: of two answers with the same id, the one in my conversation.
        mine = [a for a in found if self.peer_id in (a.author, a.item_author)]
        if not found:
            raise InputError("rsvp.no_answer", answer=answer_id)
        answer = (mine or found)[0]
        item = self.find_item(answer.item_id)
        if item is None or item.author != answer.item_author:
            raise ModelError("app.workspace.no_item", id=answer.item_id)
        replies = self.replies_to(item)
        plan_reply(item, answer, self.peer_id, replies, self.repo.limits)
        reply = Reply(
            id=self.clock.new_id(),
            answer_id=answer.id,
            answer_author=answer.author,
            item_id=item.id,
            item_author=item.author,
            message=text,
            author=self.peer_id,
            created=reply_time(thread(answer, replies, self.repo.limits), self.clock.now()),
            contact=contact_text,
        )
        self._write(self.my_doc(), lambda w: participant.write_reply(w, reply))
        return reply

    def withdraw_item(self, item_id: str) -> Item:
        """Withdraw one of my items for everyone (a draft is simply deleted): see
        `participant.withdraw_item`. Copies already received keep it in their history."""
        item = self.my_item(item_id)
        if self.is_draft(item_id):
            self.drafts.remove(item_id)
            return item
        at = self.clock.now_iso()
        self._write(self.my_doc(), lambda w: participant.withdraw_item(w, item_id, at))
        return item

    def withdrawn_by_author(self, item_id: str) -> bool:
        """Whether some author withdrew an item with this id (to say so instead of "no item")."""
        return any(item_id in participant.read_withdrawn_items(d.crdt) for d in self.participant_docs())

    def answers_to(self, item_id: str) -> list[Answer]:
        """Every answer held that names `item_id`, withdrawn ones and duplicates included."""
        out: list[Answer] = []
        for doc in self.participant_docs():
            out.extend(
                a
                for a in participant.read_answers(doc.crdt, doc.doc_id, self.repo.limits)
                if a.item_id == item_id
            )
        return sorted(out, key=lambda a: (a.created, a.id))

    def answers_by_item(self) -> dict[tuple[str, str], list[Answer]]:
        """Every answer held, by the (author, id) of the item it names: one pass over the documents."""
        out: dict[tuple[str, str], list[Answer]] = {}
        for doc in self.participant_docs():
            for a in participant.read_answers(doc.crdt, doc.doc_id, self.repo.limits):
                out.setdefault((a.item_author, a.item_id), []).append(a)
        return out

    def answers_to_me(self) -> list[Answer]:
        out: list[Answer] = []
        for doc in self.participant_docs():
            out.extend(
                a
                for a in participant.read_answers(doc.crdt, doc.doc_id, self.repo.limits)
                if a.item_author == self.peer_id
            )
        return sorted(out, key=lambda a: (a.created, a.id))

    def rename(self, name: str) -> None:
        name = name.strip()
        if not name or len(name) > 80:
            raise ModelError("app.workspace.name_length", field="name", most=80)
        if has_control_characters(name):
            raise ModelError("app.workspace.control_in_name", field="name")
        check_encodable(name, phrase("model.what.name"))
        self._write(self.my_doc(), lambda w: participant.set_name(w, name, clock=self.clock))
        # `whoami` and a later `init --new-history` read the name from the profile
        set_profile_name(self.home, name)
        self.identity = replace(self.identity, name=name)


def ensure_known_doc(workspace: Workspace, doc_ids: Iterable[str]) -> list[str]:
    missing = [d for d in doc_ids if not workspace.repo.exists(d)]
    if missing:
        raise DocumentError("app.workspace.unknown_document", doc=missing[0])
    return list(doc_ids)
