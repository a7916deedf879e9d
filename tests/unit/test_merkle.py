"""The Merkle log's hashing against the RFC 6962 test vectors (certificate-transparency)."""

from __future__ import annotations

import pytest

from projections.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    leaf_hash,
    root_of,
    split_point,
    verify_consistency,
    verify_inclusion,
)

ENTRIES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (0, 1): [],
}
CONSISTENCY = {
    (1, 8): INCLUSION[(0, 8)],
    (2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (1, 1): [],
}
TREE = MerkleTree(leaf_hash(e) for e in ENTRIES)


class TestReferenceVectors:
    def test_roots_of_every_size_match_rfc_6962(self) -> None:
        assert EMPTY_ROOT == ROOTS[0]
        for size, root in enumerate(ROOTS):
            assert TREE.root(size) == root
            assert root_of([leaf_hash(e) for e in ENTRIES[:size]]) == root

    @pytest.mark.parametrize("index,size", sorted(INCLUSION))
    def test_inclusion_paths_match_and_verify(self, index: int, size: int) -> None:
        proof = [bytes.fromhex(h) for h in INCLUSION[(index, size)]]
        assert TREE.inclusion_proof(index, size) == proof
        assert verify_inclusion(leaf_hash(ENTRIES[index]), index, size, proof, ROOTS[size])

    @pytest.mark.parametrize("old,new", sorted(CONSISTENCY))
    def test_consistency_proofs_match_and_verify(self, old: int, new: int) -> None:
        proof = [bytes.fromhex(h) for h in CONSISTENCY[(old, new)]]
        assert TREE.consistency_proof(old, new) == proof
        assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)

    def test_the_split_is_the_largest_power_of_two_below(self) -> None:
        assert [split_point(n) for n in (2, 3, 4, 5, 8, 9, 1000)] == [1, 2, 2, 4, 4, 8, 512]


LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(70)]
BIG = MerkleTree(LEAVES)


class TestEveryShape:
    def test_every_inclusion_proof_verifies_and_tampered_ones_do_not(self) -> None:
        for size in range(1, 70):
            root = BIG.root(size)
            assert root == root_of(LEAVES[:size])
            for index in range(size):
                proof = BIG.inclusion_proof(index, size)
                assert verify_inclusion(LEAVES[index], index, size, proof, root)
                assert not verify_inclusion(LEAVES[index], index, size,
                                            proof + [EMPTY_ROOT], root)
                if proof:
                    forged = [bytes(32)] + proof[1:]
                    assert not verify_inclusion(LEAVES[index], index, size, forged, root)
                    assert not verify_inclusion(LEAVES[index], index, size, proof[:-1], root)
                other = (index + 1) % size
                if other != index:
                    assert not verify_inclusion(LEAVES[other], index, size, proof, root)

    def test_every_consistency_proof_verifies_and_tampered_ones_do_not(self) -> None:
        for new in range(1, 70):
            for old in range(new + 1):
                proof = BIG.consistency_proof(old, new)
                assert verify_consistency(old, new, BIG.root(old), BIG.root(new), proof)
                if 0 < old < new:
                    assert not verify_consistency(old, new, BIG.root(old), BIG.root(new),
                                                  [bytes(32)] + proof[1:])
                    assert not verify_consistency(old, new, BIG.root(old), BIG.root(new),
                                                  proof[:-1])
                    assert not verify_consistency(old, new, bytes(32), BIG.root(new), proof)

    def test_an_inclusion_proof_outside_the_tree_is_refused(self) -> None:
        with pytest.raises(ValueError):
            BIG.inclusion_proof(70, 70)
        assert not verify_inclusion(LEAVES[0], 5, 5, [], BIG.root(5))
        with pytest.raises(ValueError):
            BIG.root(71)


def test_the_frontier_gives_the_root_of_every_size() -> None:
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.root() == BIG.root(size)


def test_the_fast_leaf_entry_is_canonical_json() -> None:
    from domain.chain import canonical_json
    from projections.audit.log import leaf_entry

    for stream_id, version, hash in (("5ccfb281-2cc7-53cd-9af3-1791fe31af7e", 3, "ab" * 32),
                                     ('we"ird', 1, "x\u2028y")):
        assert leaf_entry(stream_id, version, hash) == canonical_json(
            {"hash": hash, "stream_id": stream_id, "version": version})


@pytest.mark.parametrize("cuts", [(0, 1, 2, 3), (5, 64, 65, 130), (1, 127, 128, 129), (70, 71, 300, 301)])
def test_extending_by_batches_builds_the_same_tree_as_appending(cuts: tuple[int, ...]) -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(cuts[-1])]
    one_by_one, batched, frontier = MerkleTree(), MerkleTree(), Frontier()
    for leaf in leaves:
        one_by_one.append(leaf)
    for start, stop in zip((0, *cuts), cuts, strict=False):
        batched.extend(leaves[start:stop])
        frontier.extend(leaves[start:stop])
        assert batched.root() == frontier.root() == one_by_one.root(stop)
    assert batched.levels == one_by_one.levels and frontier.size == len(leaves)
