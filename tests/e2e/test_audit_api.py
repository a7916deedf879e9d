"""The audit endpoints over HTTP: verify, the global log, checkpoints and their proofs."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature

from adapters.auditor import auditor_for
from projections.audit.checkpoint import Checkpoint, load_public_key
from projections.audit.merkle import verify_consistency, verify_inclusion
from tests import case_world
from tests.case_world import ADMIN_TOKEN, SUBJECT, HttpWorld

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

world = case_world.world  # the fixture


def admin_get(world: HttpWorld, path: str) -> Any:
    answer = world.client.get(f"/api/v1{path}", headers=ADMIN)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def checkpoint(world: HttpWorld) -> Checkpoint:
    """Sign a checkpoint as `hub audit checkpoint` does."""
    hub = world.client.application.extensions["hub"]
    return auditor_for(hub.app, hub.settings).checkpoint()


class TestVerify:
    def test_the_administrator_and_inspectors_verify_everything(self,
                                                                world: HttpWorld) -> None:
        world.case(partners=["ngc"])
        checkpoint(world)
        found = admin_get(world, "/audit/verify")
        assert found["ok"] is True and found["first_break"] is None
        assert found["events_checked"] == found["tree_size"] > 20
        assert found["checkpoints_checked"] == 1
        assert found["latest_checkpoint"]["root"] == found["root"]
        assert world.ok(world.get("inspector", "/audit/verify"))["ok"] is True

    def test_staff_may_not(self, world: HttpWorld) -> None:
        assert world.get("workstation", "/audit/verify").status_code == 403
        assert world.get("workstation", "/audit/log").status_code == 403
        assert world.get("workstation", "/audit/checkpoints").status_code == 403


class TestLog:
    def test_every_event_in_global_order_masked_a_page_at_a_time(self,
                                                                  world: HttpWorld) -> None:
        referral_id = world.referral()
        first = world.ok(world.get("inspector", "/audit/log?after=0&limit=5"))
        assert [e["position"] for e in first["items"]] == [1, 2, 3, 4, 5]
        assert first["next_after"] == 5
        everything, after = [], 0
        while after is not None:
            page = world.ok(world.get("inspector", f"/audit/log?after={after}&limit=50"))
            everything += page["items"]
            after = page["next_after"]
        positions = [e["position"] for e in everything]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        submitted = next(e for e in everything if e["stream_id"] == referral_id)
        assert submitted["type"] == "referral.submitted"
        assert submitted["data"]["subject"]["name"] == SUBJECT["name"][0] + "*"
        assert SUBJECT["id_number"] not in str(everything)

    @pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=1001", "after=x", "odd=1"])
    def test_bad_paging_is_named(self, world: HttpWorld, query: str) -> None:
        answer = world.get("inspector", f"/audit/log?{query}")
        assert answer.status_code == 422
        assert set(answer.get_json()["errors"]) & {"after", "limit", "odd"}


class TestCheckpointsAndProofs:
    def test_checkpoints_verify_with_the_published_key(self, world: HttpWorld) -> None:
        world.referral()
        checkpoint(world)
        world.referral()
        checkpoint(world)
        found = admin_get(world, "/audit/checkpoints")
        key = load_public_key(found["public_key"])
        signed = [Checkpoint.from_dict(c) for c in found["checkpoints"]]
        assert len(signed) == 2 and signed[0].tree_size < signed[1].tree_size
        for item in signed:
            key.verify(base64.b64decode(item.signature), item.signed_bytes())
        edited = Checkpoint.from_dict({**found["checkpoints"][0], "tree_size": 1})
        with pytest.raises(InvalidSignature):
            key.verify(base64.b64decode(edited.signature), edited.signed_bytes())

    def test_inclusion_proof_against_a_signed_root_and_a_forged_one_fails(
            self, world: HttpWorld) -> None:
        world.referral()
        signed = checkpoint(world)
        proof = admin_get(world, f"/audit/proofs/inclusion?position=3&tree_size={signed.tree_size}")
        assert proof["root"] == signed.root and proof["leaf_index"] == 2
        path = [bytes.fromhex(p) for p in proof["proof"]]
        leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(signed.root)
        assert verify_inclusion(leaf, 2, signed.tree_size, path, root)
        forged = [bytes(32)] + path[1:]
        assert not verify_inclusion(leaf, 2, signed.tree_size, forged, root)
        assert not verify_inclusion(leaf, 3, signed.tree_size, path, root)

    def test_consistency_between_two_checkpoints(self, world: HttpWorld) -> None:
        world.referral()
        old = checkpoint(world)
        world.referral()
        new = checkpoint(world)
        found = admin_get(world, f"/audit/proofs/consistency?old_size={old.tree_size}"
                                 f"&new_size={new.tree_size}")
        proof = [bytes.fromhex(p) for p in found["proof"]]
        assert verify_consistency(old.tree_size, new.tree_size, bytes.fromhex(old.root),
                                  bytes.fromhex(new.root), proof)

    def test_proofs_outside_the_log_are_refused_by_field(self, world: HttpWorld) -> None:
        answer = world.client.get("/api/v1/audit/proofs/inclusion?position=999999&tree_size=5",
                                  headers=ADMIN)
        assert answer.status_code == 422 and "position" in answer.get_json()["errors"]
        answer = world.client.get("/api/v1/audit/proofs/consistency?old_size=5&new_size=999999",
                                  headers=ADMIN)
        assert answer.status_code == 422 and "new_size" in answer.get_json()["errors"]


class TestAccessLog:
    def test_party_admins_and_inspectors_list_who_read_it(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        token = world.client.post("/api/v1/agencies/workstation/tokens", headers=ADMIN,
                                  json={"user": "ws-admin", "role": "admin"}).get_json()["token"]
        world.headers["ws-admin"] = {"Authorization": f"Bearer {token}"}
        world.ok(world.get("procuratorate", f"/referrals/{referral_id}", **{"X-Purpose": "复核"}))
        world.ok(world.get("inspector", f"/referrals/{referral_id}"))
        log = world.ok(world.get("ws-admin", f"/referrals/{referral_id}/access-log"))
        assert log["verified"] is True
        reads = [(r["actor"]["agency"], r["role"], r["purpose"]) for r in log["reads"]]
        assert ("procuratorate", "staff", "复核") in reads
        assert ("city-inspection", "inspector", None) in reads
        assert world.get("workstation", f"/referrals/{referral_id}/access-log").status_code == 403
        assert world.get("school", f"/referrals/{referral_id}/access-log").status_code == 404
        assert world.get("far-inspector",
                         f"/referrals/{referral_id}/access-log").status_code == 404

    def test_case_reads_are_listed_too(self, world: HttpWorld) -> None:
        case = world.case(partners=["ngc"])
        world.ok(world.get("ngc", f"/cases/{case['id']}"))
        log = world.ok(world.get("inspector", f"/cases/{case['id']}/access-log"))
        assert [r["actor"]["agency"] for r in log["reads"]] == ["ngc"]
        assert log["reads"][0]["at"].endswith("Z")


class TestStats:
    def test_counts_per_group_without_personal_data(self, world: HttpWorld) -> None:
        world.referral()
        world.referral()
        found = world.ok(world.get("school", "/stats?group_by=status"))
        assert found["group_by"] == "status" and found["total"] == 2
        assert found["groups"] == [{"group": "accepted", "count": 2, "answered": 2,
                                    "median_hours_to_answer": 0.0, "concluded": 0,
                                    "closure_rate": 0.0}]
        assert SUBJECT["name"] not in str(found)
        later = world.ok(world.get("school", "/stats?from=2100-01-01T00:00:00Z"))
        assert later["total"] == 0 and later["groups"] == []

    @pytest.mark.parametrize("query,field", [("group_by=colour", "group_by"),
                                             ("from=yesterday", "from"),
                                             ("from=2024-03-02&to=2024-03-01", "to"),
                                             ("odd=1", "odd")])
    def test_bad_queries_are_named(self, world: HttpWorld, query: str, field: str) -> None:
        answer = world.get("school", f"/stats?{query}")
        assert answer.status_code == 422 and field in answer.get_json()["errors"]

    def test_plots_in_svg_and_png(self, world: HttpWorld) -> None:
        world.referral()
        svg = world.get("school", "/stats/plot.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<svg" in svg.data
        png = world.get("school", "/stats/plot.png")
        assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
        assert world.get("school", "/stats/plot.gif").status_code == 404
        assert world.client.get("/api/v1/stats").status_code == 401
