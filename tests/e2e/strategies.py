"""Hypothesis strategies for the bodies the error fuzzes send."""

from __future__ import annotations

from hypothesis import strategies as st

# Text with, now and then, unpaired surrogates (which json escapes and JSON allows).
TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
