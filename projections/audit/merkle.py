"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs (pure hashlib).

leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right); the tree of n leaves splits
at the largest power of two below n. `MerkleTree` keeps every complete perfect subtree, so a
root of any earlier size and any proof cost O(log² n) hashes after one O(n) pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree of leaf hashes with every complete perfect subtree kept.

    Each level is one bytearray of 32-byte hashes (1M leaves take ~64 MB, not ~150 MB).
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[bytearray] = [bytearray()]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0]) // 32

    def node(self, level: int, index: int) -> bytes:
        return bytes(self.levels[level][32 * index:32 * index + 32])

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, completing the perfect subtrees it closes."""
        self.levels[0] += leaf
        level, index = 0, self.size - 1
        while index % 2 == 1:
            parent = node_hash(self.node(level, index - 1), self.node(level, index))
            if len(self.levels) == level + 1:
                self.levels.append(bytearray())
            self.levels[level + 1] += parent
            level, index = level + 1, index // 2

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add leaf hashes, level by level (the same nodes as `append` one at a time)."""
        self.levels[0] += b"".join(leaves)
        level, sha256 = 0, hashlib.sha256
        while len(self.levels[level]) >= 64:
            if len(self.levels) == level + 1:
                self.levels.append(bytearray())
            below, above = self.levels[level], self.levels[level + 1]
            done, due = len(above) // 32, len(below) // 64
            if done == due:
                return
            above += b"".join(sha256(b"\x01" + below[64 * i:64 * i + 64]).digest()
                              for i in range(done, due))
            level += 1

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) — `start` is aligned to the split the RFC's recursion makes."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        height = n.bit_length() - 1
        if n == 1 << height and start % n == 0:
            return self.node(height, start >> height)
        k = split_point(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"The tree has {self.size} leaves, not {size}.")
        return self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf `index` in the tree of the first `size` leaves."""
        if not 0 <= index < size <= self.size:
            raise ValueError(f"No leaf {index} in a tree of {size}.")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return self._path(m, start, start + k) + [self.subtree(start + k, end)]
        return self._path(m - k, start + k, end) + [self.subtree(start, start + k)]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """The proof that the tree of `old` leaves is a prefix of the tree of `new`."""
        if not 0 <= old <= new <= self.size:
            raise ValueError(f"No consistency proof from {old} to {new} in a tree of {self.size}.")
        if old in (0, new):
            return []
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.subtree(start, end)]
        k = split_point(n)
        if m <= k:
            return self._subproof(m, start, start + k, complete) + [self.subtree(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self.subtree(start, start + k)]


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The root of a list of leaf hashes."""
    return MerkleTree(leaves).root()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` place `leaf` at `index` of the tree with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (old, old_root) a prefix of (new, new_root)?"""
    if old == new:
        return old_root == new_root and not proof
    if old == 0:
        return not proof
    if old > new or not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the proof's first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The right edge of a growing tree: O(log n) memory, the root of every size reached."""

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[bytes] = []  # roots of the perfect subtrees, largest first

    def append(self, leaf: bytes) -> None:
        self.peaks.append(leaf)
        self.size += 1
        size = self.size
        while size % 2 == 0:
            right = self.peaks.pop()
            self.peaks[-1] = node_hash(self.peaks[-1], right)
            size //= 2

    def extend(self, leaves: Iterable[bytes]) -> None:
        """`append` each leaf, with less work per leaf."""
        peaks, size, sha256 = self.peaks, self.size, hashlib.sha256
        for leaf in leaves:
            size += 1
            closed = size
            while not closed & 1:  # each trailing 1 bit before it closes a perfect subtree
                leaf = sha256(b"\x01" + peaks.pop() + leaf).digest()
                closed >>= 1
            peaks.append(leaf)
        self.size = size

    def absorb(self, root: bytes, height: int) -> None:
        """Append a perfect subtree of 2**height leaves given by its root alone.

        The subtree must land aligned (the tree's size a multiple of 2**height): then it holds
        exactly the nodes its leaves appended one by one would have made."""
        if self.size % (1 << height):
            raise ValueError(f"A subtree of {1 << height} leaves cannot follow {self.size}.")
        closed = self.size >> height
        while closed & 1:
            root = node_hash(self.peaks.pop(), root)
            closed >>= 1
        self.peaks.append(root)
        self.size += 1 << height

    def root(self) -> bytes:
        """The root of the leaves appended so far."""
        if not self.peaks:
            return EMPTY_ROOT
        root = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            root = node_hash(peak, root)
        return root
