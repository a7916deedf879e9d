"""The agency registry on in-memory storage: agencies, the directory, tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from domain.agency import Agency, Directory, Token, token_digest
from domain.application import HubApplication
from domain.errors import Conflict, Invalid, NotAuthenticated, NotFound, NotPermitted
from tests.conftest import memory_application
from tests.referral_world import HUB_ADMIN, caller, register_world


class RacingApplication(HubApplication):
    """Runs a competing command right after the next load of a given kind (a lost race)."""

    race: tuple[type[Any], Callable[[], Any]] | None = None

    def load(self, stream_id: str | UUID, kind: type[Any], version: int | None = None) -> Any:
        aggregate = super().load(stream_id, kind, version)
        if self.race is not None and self.race[0] is kind:
            _, competitor = self.race
            self.race = None
            competitor()
        return aggregate


@pytest.fixture
def app() -> HubApplication:
    application = memory_application()
    register_world(application, ["ref", "rec"])
    return application


@pytest.fixture
def racing() -> RacingApplication:
    plain = memory_application()
    application = RacingApplication(env=plain.env)
    register_world(application, ["ref"])
    return application


def register(app: HubApplication, slug: str, **overrides: Any) -> Agency:
    fields = {"id": slug, "name": slug.title(), "kind": "school",
              "jurisdiction": "hubei/jingmen", **overrides}
    return app.register_agency(HUB_ADMIN, **fields)


class TestRegisterAgency:
    def test_registered_agency_is_in_the_directory_in_order(self, app: HubApplication) -> None:
        register(app, "school-1", jurisdiction="/hubei/jingmen/dongbao/")
        assert [a.slug for a in app.list_agencies()] == ["ref", "rec", "school-1"]
        assert app.get_agency("school-1").jurisdiction == "hubei/jingmen/dongbao"

    def test_records_the_hub_admin_as_actor(self, app: HubApplication) -> None:
        agency = app.get_agency("ref")
        (event,) = app.history(agency.id)
        assert event.actor == HUB_ADMIN.actor

    @pytest.mark.parametrize("role", ["staff", "admin", "inspector"])
    def test_only_the_hub_admin_registers(self, app: HubApplication, role: str) -> None:
        with pytest.raises(NotPermitted):
            app.register_agency(caller("ref", role), id="x1", name="X", kind="school",
                                jurisdiction="hubei")
        assert not app.agency_exists("x1")

    def test_a_slug_is_registered_once(self, app: HubApplication) -> None:
        with pytest.raises(Conflict):
            register(app, "ref")
        assert [a.slug for a in app.list_agencies()] == ["ref", "rec"]

    def test_unknown_kind_and_unknown_parent_are_invalid(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as kind:
            register(app, "x1", kind="bakery")
        with pytest.raises(Invalid) as parent:
            register(app, "x2", parent="nobody")
        assert "kind" in kind.value.errors and "parent" in parent.value.errors
        assert not app.agency_exists("x1") and not app.agency_exists("x2")

    def test_the_hubs_own_id_is_reserved(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            register(app, HUB_ADMIN.agency)
        assert "id" in refused.value.errors and not app.agency_exists("hub")

    def test_parent_is_kept(self, app: HubApplication) -> None:
        assert register(app, "x1", parent="ref").parent == "ref"

    def test_an_empty_registry_lists_nothing(self) -> None:
        assert memory_application().list_agencies() == []

    def test_an_agency_registered_while_another_is_saved_is_not_lost(
        self, racing: RacingApplication
    ) -> None:
        racing.race = (Directory, lambda: register(racing, "second"))
        register(racing, "first")
        assert {a.slug for a in racing.list_agencies()} == {"ref", "first", "second"}
        assert racing.get_agency("first").name == "First"

    def test_the_same_slug_registered_in_a_race_is_a_conflict(
        self, racing: RacingApplication
    ) -> None:
        racing.race = (Directory, lambda: register(racing, "twin", name="One"))
        with pytest.raises(Conflict):
            register(racing, "twin", name="Two")
        assert [a.slug for a in racing.list_agencies()] == ["ref", "twin"]
        assert racing.get_agency("twin").name == "One"


class TestIssueToken:
    @pytest.mark.parametrize("issuer", [HUB_ADMIN, caller("ref", "admin")])
    def test_hub_admin_or_own_admin_issues_and_the_token_authenticates(
        self, app: HubApplication, issuer: Any
    ) -> None:
        token = app.issue_token(issuer, agency="ref", user="wang", role="staff")
        who = app.authenticate(token)
        assert (who.agency, who.user, who.role) == ("ref", "wang", "staff")
        assert who.jurisdiction == "hubei/jingmen/dongbao"

    @pytest.mark.parametrize("issuer", [caller("rec", "admin"), caller("ref", "staff"),
                                        caller("ref", "inspector")])
    def test_others_may_not_issue(self, app: HubApplication, issuer: Any) -> None:
        with pytest.raises(NotPermitted):
            app.issue_token(issuer, agency="ref", user="wang", role="staff")

    def test_only_the_hub_admin_issues_inspector_tokens(self, app: HubApplication) -> None:
        with pytest.raises(NotPermitted):
            app.issue_token(caller("ref", "admin"), agency="ref", user="zhao", role="inspector")
        token = app.issue_token(HUB_ADMIN, agency="ref", user="zhao", role="inspector")
        assert app.authenticate(token).is_inspector

    def test_unknown_agency_is_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.issue_token(HUB_ADMIN, agency="nobody", user="wang", role="staff")

    def test_unknown_role_is_invalid_and_issues_nothing(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="hub_admin")
        assert "role" in refused.value.errors
        assert app.get_agency("ref").users == {}

    def test_the_token_is_kept_only_as_its_hash(self, app: HubApplication) -> None:
        token = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="admin")
        agency = app.get_agency("ref")
        (token_id,) = agency.users["wang"]
        record = app.load(token_id, Token)
        assert record.digest == token_digest(token) and token not in repr(vars(record))
        for event in app.history(agency.id) + app.history(token_id):
            assert token not in repr(vars(event))

    def test_a_token_issued_while_another_is_saved_is_not_lost(
        self, racing: RacingApplication
    ) -> None:
        issued: list[str] = []
        racing.race = (Agency, lambda: issued.append(
            racing.issue_token(HUB_ADMIN, agency="ref", user="li", role="staff")))
        mine = racing.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert racing.authenticate(mine).user == "wang"
        assert racing.authenticate(issued[0]).user == "li"
        assert set(racing.get_agency("ref").users) == {"wang", "li"}


class TestAuthenticate:
    def test_unknown_token_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(NotAuthenticated):
            app.authenticate("rh_not-a-token")

    def test_the_admin_token_is_the_hub_admin(self, app: HubApplication) -> None:
        assert app.authenticate("s3cret", admin_token="s3cret").is_hub_admin
        with pytest.raises(NotAuthenticated):
            app.authenticate("s3cret-not", admin_token="s3cret")

    def test_no_admin_token_configured_means_no_hub_admin(self, app: HubApplication) -> None:
        with pytest.raises(NotAuthenticated):
            app.authenticate("", admin_token=None)


class TestRevokeTokens:
    def test_revoked_tokens_no_longer_authenticate(self, app: HubApplication) -> None:
        first = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        second = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="admin")
        other = app.issue_token(HUB_ADMIN, agency="ref", user="li", role="staff")
        assert app.revoke_tokens(caller("ref", "admin"), agency="ref", user="wang") == 2
        for token in (first, second):
            with pytest.raises(NotAuthenticated):
                app.authenticate(token)
        assert app.authenticate(other).user == "li"

    def test_a_token_verified_before_fails_once_revoked(self, app: HubApplication) -> None:
        token = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert app.authenticate(token).user == "wang"
        app.revoke_tokens(HUB_ADMIN, agency="ref", user="wang")
        with pytest.raises(NotAuthenticated):
            app.authenticate(token)

    def test_a_token_verified_before_is_not_loaded_again(self, app: HubApplication,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
        token = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="inspector")
        first = app.authenticate(token)
        loads: list[Any] = []
        original = app.load
        monkeypatch.setattr(app, "load", lambda *a, **k: loads.append(a) or original(*a, **k))
        assert app.authenticate(token) == first
        assert loads == []

    def test_revoking_again_revokes_nothing_more(self, app: HubApplication) -> None:
        app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        app.revoke_tokens(HUB_ADMIN, agency="ref", user="wang")
        assert app.revoke_tokens(HUB_ADMIN, agency="ref", user="wang") == 0

    def test_a_new_token_after_revocation_works(self, app: HubApplication) -> None:
        app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        app.revoke_tokens(HUB_ADMIN, agency="ref", user="wang")
        fresh = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert app.authenticate(fresh).user == "wang"

    def test_unknown_user_is_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.revoke_tokens(HUB_ADMIN, agency="ref", user="nobody")

    @pytest.mark.parametrize("who", [caller("rec", "admin"), caller("ref", "staff")])
    def test_only_the_hub_admin_or_own_admin_revokes(self, app: HubApplication,
                                                     who: Any) -> None:
        token = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        with pytest.raises(NotPermitted):
            app.revoke_tokens(who, agency="ref", user="wang")
        assert app.authenticate(token).user == "wang"
