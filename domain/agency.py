"""The agency registry: agencies, their users' tokens (kept as hashes only) and the directory."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import ROLES, HubAggregate, stable_id
from domain.errors import Invalid, NotAuthenticated

AGENCY_KINDS = (
    "civil_affairs", "procuratorate", "womens_federation", "education", "school",
    "youth_league", "next_generation_committee", "social_work_firm", "social_work_station",
    "workstation", "public_security", "court", "health", "other",
)


def agency_stream_id(slug: str) -> UUID:
    return stable_id("agency", slug)


def token_digest(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is a safe one-way hash for them."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_stream_id(digest: str) -> UUID:
    return stable_id("token", digest)


DIRECTORY_ID = stable_id("directory")


class Agency(HubAggregate):
    """A registered agency and the users who hold its tokens."""

    if TYPE_CHECKING:
        slug: str
        name: str
        kind: str
        jurisdiction: str
        parent: str | None
        users: dict[str, list[str]]

    class Registered(HubAggregate.Created):
        TYPE = "agency.registered"
        slug: str
        name: str
        kind: str
        jurisdiction: str
        parent: str | None

        def evolve(self, agency: Agency) -> None:
            agency.slug, agency.name, agency.kind = self.slug, self.name, self.kind
            agency.jurisdiction, agency.parent = self.jurisdiction, self.parent
            agency.users = {}

    class TokenIssued(HubAggregate.Event):
        TYPE = "agency.token_issued"
        user: str
        role: str
        token_id: str

        def evolve(self, agency: Agency) -> None:
            agency.users.setdefault(self.user, []).append(self.token_id)

    class TokensRevoked(HubAggregate.Event):
        TYPE = "agency.tokens_revoked"
        user: str
        token_ids: list[str]

        def evolve(self, agency: Agency) -> None:
            agency.users[self.user] = []

    @classmethod
    def register(cls, *, slug: str, name: str, kind: str, jurisdiction: str,
                 parent: str | None, actor: dict[str, str], at: Any = None) -> Agency:
        """Register a new agency."""
        if kind not in AGENCY_KINDS:
            raise Invalid("Unknown agency kind.", {"kind": [f"Must be one of {AGENCY_KINDS}."]})
        agency: Agency = cls._start(
            cls.Registered, id=agency_stream_id(slug), slug=slug, name=name, kind=kind,
            jurisdiction=jurisdiction.strip("/"), parent=parent, actor=actor, timestamp=at,
        )
        return agency

    def issue_token(self, *, user: str, role: str, token_id: UUID,
                    actor: dict[str, str], at: Any = None) -> None:
        """Record that `user` holds one more token."""
        if role not in ROLES:
            raise Invalid("Unknown role.", {"role": [f"Must be one of {ROLES}."]})
        self._record(self.TokenIssued, user=user, role=role, token_id=str(token_id),
                     actor=actor, timestamp=at)

    def revoke_tokens(self, *, user: str, actor: dict[str, str], at: Any = None) -> list[str]:
        """Record that every token of `user` is revoked; returns their ids."""
        revoked = list(self.users.get(user, []))
        self._record(self.TokensRevoked, user=user, token_ids=revoked, actor=actor, timestamp=at)
        return revoked


class Token(HubAggregate):
    """One bearer token, known only by its hash."""

    if TYPE_CHECKING:
        digest: str
        agency: str
        user: str
        role: str
        revoked: bool

    class Issued(HubAggregate.Created):
        TYPE = "token.issued"
        digest: str
        agency: str
        user: str
        role: str

        def evolve(self, token: Token) -> None:
            token.digest, token.agency = self.digest, self.agency
            token.user, token.role, token.revoked = self.user, self.role, False

    class Revoked(HubAggregate.Event):
        TYPE = "token.revoked"

        def evolve(self, token: Token) -> None:
            token.revoked = True

    @classmethod
    def issue(cls, *, digest: str, agency: str, user: str, role: str,
              actor: dict[str, str], at: Any = None) -> Token:
        token: Token = cls._start(cls.Issued, id=token_stream_id(digest), digest=digest,
                                  agency=agency, user=user, role=role, actor=actor, timestamp=at)
        return token

    def revoke(self, *, actor: dict[str, str], at: Any = None) -> None:
        if not self.revoked:
            self._record(self.Revoked, actor=actor, timestamp=at)

    def check(self, presented_digest: str) -> None:
        """Refuse a revoked token or one whose hash does not match (constant time)."""
        if self.revoked or not hmac.compare_digest(self.digest, presented_digest):
            raise NotAuthenticated("Unknown or revoked token.")


class Directory(HubAggregate):
    """The list of registered agencies, in registration order."""

    if TYPE_CHECKING:
        slugs: list[str]

    class Opened(HubAggregate.Created):
        TYPE = "directory.opened"

        def evolve(self, directory: Directory) -> None:
            directory.slugs = []

    class Listed(HubAggregate.Event):
        TYPE = "directory.agency_listed"
        slug: str

        def evolve(self, directory: Directory) -> None:
            directory.slugs.append(self.slug)

    @classmethod
    def open(cls, *, actor: dict[str, str], at: Any = None) -> Directory:
        directory: Directory = cls._start(cls.Opened, id=DIRECTORY_ID, actor=actor, timestamp=at)
        return directory

    def list_agency(self, slug: str, *, actor: dict[str, str], at: Any = None) -> None:
        self._record(self.Listed, slug=slug, actor=actor, timestamp=at)
