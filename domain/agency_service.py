"""Commands of the agency registry: register agencies, issue, check and revoke tokens."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.agency import (
    DIRECTORY_ID,
    Agency,
    Directory,
    Token,
    agency_stream_id,
    token_digest,
    token_stream_id,
)
from domain.base import SYSTEM, Caller
from domain.errors import Conflict, Invalid, NotAuthenticated, NotFound, NotPermitted

if TYPE_CHECKING:
    from domain.application import HubApplication as _Base
else:
    _Base = object

# Verified tokens a process remembers at most (forgotten all at once beyond that).
MAX_VERIFIED_TOKENS = 10_000


class AgencyCommands(_Base):
    """The agency registry's part of the service layer."""

    def register_agency(self, caller: Caller, *, id: str, name: str, kind: str,
                        jurisdiction: str, parent: str | None = None) -> Agency:
        """The hub administrator registers an agency."""
        if not caller.is_hub_admin:
            raise NotPermitted("Only the hub administrator registers agencies.")
        if id == SYSTEM.agency:  # the hub itself acts as "hub": an agency may not share it
            raise Invalid("Reserved agency id.", {"id": [f"{id!r} is reserved for the hub."]})
        if parent is not None and not self.agency_exists(parent):
            raise Invalid("Unknown parent agency.", {"parent": ["No such agency."]})
        at = self.clock()
        created: list[Agency] = []

        def listing(directory: Directory) -> list[Any]:
            # Built afresh on every attempt: a failed save has consumed the pending events.
            agency = Agency.register(slug=id, name=name, kind=kind, jurisdiction=jurisdiction,
                                     parent=parent, actor=caller.actor, at=at)
            if self.agency_exists(id):
                raise Conflict(f"Agency {id!r} exists already.")
            directory.list_agency(id, actor=caller.actor, at=at)
            created[:] = [agency]
            return [agency]

        self._ensure_directory(caller)
        self.change(DIRECTORY_ID, Directory, listing)
        return created[0]

    def _ensure_directory(self, caller: Caller) -> None:
        if not self.stream_exists(DIRECTORY_ID):
            try:
                self.create(Directory.open(actor=caller.actor, at=self.clock()))
            except Conflict:
                pass  # another process opened it first

    def stream_exists(self, stream_id: Any) -> bool:
        return bool(list(self.events.get(stream_id, limit=1)))

    def agency_exists(self, slug: str) -> bool:
        """Whether `slug` is registered; no event removes an agency, so each process remembers
        the agencies it has seen (never the ones it has not: those are asked for every time)."""
        if slug in self.known_agencies:
            return True
        if not self.stream_exists(agency_stream_id(slug)):
            return False
        self.known_agencies.add(slug)
        return True

    def get_agency(self, slug: str) -> Agency:
        return self.load(agency_stream_id(slug), Agency)

    def list_agencies(self) -> list[Agency]:
        if not self.stream_exists(DIRECTORY_ID):
            return []
        directory = self.load(DIRECTORY_ID, Directory)
        return [self.get_agency(slug) for slug in directory.slugs]

    def issue_token(self, caller: Caller, *, agency: str, user: str, role: str) -> str:
        """Issue a new bearer token for `user` of `agency`; the plain token is returned once."""
        self._require_token_admin(caller, agency)
        if role == "inspector" and not caller.is_hub_admin:
            # An inspector reads a whole jurisdiction: an agency may not grant that to itself.
            raise NotPermitted("Only the hub administrator issues inspector tokens.")
        plain = "rh_" + secrets.token_urlsafe(32)
        digest = token_digest(plain)
        at = self.clock()

        def issuing(record: Agency) -> list[Any]:
            # Built afresh on every attempt: a failed save has consumed the pending events.
            token = Token.issue(digest=digest, agency=agency, user=user, role=role,
                                actor=caller.actor, at=at)
            record.issue_token(user=user, role=role, token_id=token.id, actor=caller.actor, at=at)
            return [token]

        self.change(agency_stream_id(agency), Agency, issuing)
        return plain

    def revoke_tokens(self, caller: Caller, *, agency: str, user: str) -> int:
        """Revoke every token of `user`; returns how many were live."""
        self._require_token_admin(caller, agency)
        at = self.clock()
        revoked: list[Token] = []

        def revoking(record: Agency) -> list[Any]:
            if user not in record.users:
                raise NotFound(f"Agency {agency!r} has no user {user!r}.")
            revoked.clear()
            for token_id in record.revoke_tokens(user=user, actor=caller.actor, at=at):
                token = self.load(token_id, Token)
                token.revoke(actor=caller.actor, at=at)
                revoked.append(token)
            return list(revoked)

        self.change(agency_stream_id(agency), Agency, revoking)
        return len(revoked)

    def _require_token_admin(self, caller: Caller, agency: str) -> None:
        if not self.agency_exists(agency):
            raise NotFound(f"No agency {agency!r}.")
        if caller.is_hub_admin:
            return
        if caller.agency != agency or caller.role != "admin":
            raise NotPermitted("Only the hub administrator or the agency's admin manages tokens.")

    def authenticate(self, token: str, admin_token: str | None = None) -> Caller:
        """The caller a bearer token stands for; NotAuthenticated otherwise.

        A token verified before is answered from this process's memory only while its stream
        has no event after the version then verified — one keyed read, nothing decrypted —
        so a revocation, which appends to the token's stream, counts on the very next request
        in every process.
        """
        if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
            return Caller(agency="hub", user="hub-admin", role="hub_admin")
        digest = token_digest(token)
        remembered = self.verified_tokens.get(digest)
        if remembered is not None:
            found, version, stream_id = remembered
            if not self._has_events_after(stream_id, version):
                return found
            self.verified_tokens.pop(digest, None)  # another thread may have dropped it
        stream_id = token_stream_id(digest)
        try:
            record = self.load(stream_id, Token)
        except NotFound:
            raise NotAuthenticated("Unknown or revoked token.") from None
        record.check(digest)
        found = Caller(agency=record.agency, user=record.user, role=record.role,
                       jurisdiction=self.jurisdiction_of(record.agency))
        if len(self.verified_tokens) >= MAX_VERIFIED_TOKENS:
            self.verified_tokens.clear()  # only issued, live tokens get here: rare, and cheap
        self.verified_tokens[digest] = (found, record.version, stream_id)
        return found

    def _has_events_after(self, stream_id: UUID, version: int) -> bool:
        """Whether a stream moved on from `version` (stored rows only: nothing is decoded)."""
        return bool(self.recorder.select_events(stream_id, gt=version, limit=1))

    def jurisdiction_of(self, slug: str) -> str:
        """An agency's jurisdiction; no event changes it, so each process keeps it once read."""
        known: dict[str, str] = self.__dict__.setdefault("_jurisdictions", {})
        if slug not in known:
            known[slug] = self.get_agency(slug).jurisdiction
        return known[slug]
