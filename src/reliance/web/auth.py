"""Pairing a browser with its person's node, and the sessions that result (sans-IO, an injected clock).

- A pairing link carries a random token (`secrets`, 256 bits) that works once, for `web_pair_seconds`
  (10 minutes). Only its SHA-256 is kept; opening it gives the browser a new session token in a cookie.
- A session token is 256 random bits; the home keeps only its SHA-256 (`HOME/web-sessions.json`, mode
  0600), so a copy of the home's files cannot act as a paired phone. Sessions are listed by a short id and
  revoked by it.
- A form's CSRF token is an HMAC of the session token: a page of another site cannot read it (the cookie is
  HttpOnly, SameSite=Strict), and the server needs to store nothing more to check it.
- Failed pairing attempts are counted per minute, per address and in total; past either bound every attempt
  is refused, the good one too, until the minute has passed (a guesser cannot try 2^256 tokens anyway: this
  keeps the log and the disk quiet).

Tokens never reach a log: nothing here logs, and the web face's access log is off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reliance.errors import RelianceError
from reliance.fsutil import atomic_write
from reliance.limits import DEFAULT_LIMITS, Limits

SESSIONS_FILE = "web-sessions.json"
TOKEN_BYTES = 32
Clock = Callable[[], float]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"reliance-web-csrf", hashlib.sha256).hexdigest()


@dataclass
class WebSession:
    id: str  # short, shown and used to revoke; not a secret
    token_hash: str
    created: float
    last_seen: float
    agent: str  # the browser's own description, cut short: to tell sessions apart

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "created": self.created, "last_seen": self.last_seen, "agent": self.agent}


class PairingRefused(RelianceError):
    """A pairing token that is unknown, expired or used, or too many attempts."""


class Sessions:
    """Pairing links and paired sessions of one home."""

    def __init__(self, home: Path | None, limits: Limits = DEFAULT_LIMITS, clock: Clock = time.time) -> None:
        self.home = home
        self.limits = limits
        self.clock = clock
        self._pairings: dict[str, float] = {}  # token hash -> expiry
        self._failures: deque[tuple[float, str]] = deque()  # (when, address) of failed attempts
        self._sessions: dict[str, WebSession] = {}  # token hash -> session
        self._load()

    # -- pairing -----------------------------------------------------------------------------------------
    def new_pairing(self) -> tuple[str, float]:
        """A fresh pairing token and its expiry time; the oldest waiting one goes past the bound."""
        now = self.clock()
        self._drop_expired(now)
        while len(self._pairings) >= self.limits.web_max_pairings:
            del self._pairings[min(self._pairings, key=self._pairings.__getitem__)]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires = now + self.limits.web_pair_seconds
        self._pairings[token_hash(token)] = expires
        return token, expires

    def pair(self, token: str, address: str, agent: str) -> str:
        """Use a pairing token (once): the new session's token. Raises `PairingRefused`."""
        now = self.clock()
        self._drop_expired(now)
        if self._too_many_failures(now, address):
            raise PairingRefused("web.pair.too_many")
        key = token_hash(token)
        if self._pairings.pop(key, None) is None:
            self._failures.append((now, address))
            raise PairingRefused("web.pair.unknown")
        while len(self._sessions) >= self.limits.web_max_sessions:
            oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
            del self._sessions[oldest.token_hash]
        session_token = secrets.token_urlsafe(TOKEN_BYTES)
        session_hash = token_hash(session_token)
        session_id = session_hash[:10]
        self._sessions[session_hash] = WebSession(session_id, session_hash, now, now, _agent(agent))
        self._save()
        return session_token

    def _drop_expired(self, now: float) -> None:
        for key in [k for k, expires in self._pairings.items() if expires <= now]:
            del self._pairings[key]
        while self._failures and self._failures[0][0] <= now - 60:
            self._failures.popleft()

    def _too_many_failures(self, now: float, address: str) -> bool:
        if len(self._failures) >= self.limits.web_pair_failures_total:
            return True
        mine = sum(1 for _, where in self._failures if where == address)
        return mine >= self.limits.web_pair_failures_per_address

    # -- sessions ----------------------------------------------------------------------------------------
    def session(self, token: str | None) -> WebSession | None:
        """The session of a cookie's token, or None (unknown, revoked, or no cookie)."""
        if not token or len(token) > 128:
            return None
        found = self._sessions.get(token_hash(token))
        if found is not None:
            found.last_seen = self.clock()
        return found

    def check_csrf(self, token: str | None, sent: str | None) -> bool:
        return bool(token and sent) and hmac.compare_digest(csrf_for(token or ""), sent or "")

    def list(self) -> list[WebSession]:
        return sorted(self._sessions.values(), key=lambda s: s.created)

    def revoke(self, session_id: str) -> bool:
        """End the session with this id (or every session, for "all"); whether one ended."""
        session_id = session_id.strip()
        gone = [k for k, s in self._sessions.items() if session_id in (s.id, "all")]
        for key in gone:
            del self._sessions[key]
        if gone:
            self._save()
        return bool(gone)

    def end(self, token: str) -> None:
        """The browser unpaired itself."""
        if self._sessions.pop(token_hash(token), None) is not None:
            self._save()

    # -- the file ----------------------------------------------------------------------------------------
    def _load(self) -> None:
        if self.home is None:
            return
        for row in read_sessions(self.home)[: self.limits.web_max_sessions]:
            self._sessions[row.token_hash] = row

    def _save(self) -> None:
        if self.home is not None:
            write_sessions(self.home, list(self._sessions.values()))


def _agent(text: str) -> str:
    return "".join(ch for ch in text[:120] if ch.isprintable())


def read_sessions(home: Path) -> list[WebSession]:
    """The sessions a home keeps; a damaged file counts as none (every phone pairs again)."""
    try:
        data = json.loads((home / SESSIONS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    found: list[WebSession] = []
    for row in data if isinstance(data, list) else []:
        try:
            session = WebSession(
                str(row["id"]),
                str(row["token_hash"]),
                float(row["created"]),
                float(row["last_seen"]),
                _agent(str(row.get("agent", ""))),
            )
        except (KeyError, TypeError, ValueError):
            continue
        if len(session.token_hash) == 64 and session.id == session.token_hash[:10]:
            found.append(session)
    return found


def write_sessions(home: Path, sessions: list[WebSession]) -> None:
    atomic_write(home / SESSIONS_FILE, json.dumps([asdict(s) for s in sessions], indent=1).encode())


def revoke_in_home(home: Path, session_id: str) -> bool:
    """Revoke a session in a home no node runs on (the file itself)."""
    sessions = Sessions(home)
    return sessions.revoke(session_id)
