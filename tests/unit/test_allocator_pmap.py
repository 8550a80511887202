"""The persistent map's views read its buckets directly: same order and values as its keys."""

import zlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.allocator.domain import pmap as pmap_module
from services.allocator.domain.pmap import PMap


@given(
    st.dictionaries(st.text(max_size=5), st.integers()),
    st.lists(st.text(max_size=5)),
    st.dictionaries(st.text(max_size=5), st.integers()),
)
def test_values_and_items_follow_the_keys(
    start: dict[str, int], drops: list[str], puts: dict[str, int]
) -> None:
    pmap = PMap(start).updated(puts, drops)
    keys = list(pmap)
    assert list(pmap.items()) == [(k, pmap[k]) for k in keys]
    assert list(pmap.values()) == [pmap[k] for k in keys]
    assert len(pmap.values()) == len(pmap.items()) == len(keys)
    assert all((k, pmap[k]) in pmap.items() for k in keys)
    assert all(pmap[k] in pmap.values() for k in keys)


def test_the_bucket_memo_is_bounded_and_changes_no_answer(monkeypatch: Any) -> None:
    """Each key's CRC-32 bucket is computed once and remembered, up to ``SLOTS`` keys."""
    monkeypatch.setattr(pmap_module, "SLOTS", 8)
    monkeypatch.setattr(pmap_module, "_slots", {})
    keys = [f"HT01-alert-{n}/0" for n in range(50)]
    pmap = PMap({k: n for n, k in enumerate(keys)})
    assert len(pmap_module._slots) <= 8
    assert [pmap[k] for k in keys] == list(range(50))
    assert all(k in pmap and pmap.get(k) == n for n, k in enumerate(keys))
    assert all(pmap_module._slot(k) == zlib.crc32(k.encode()) % pmap_module.BUCKETS for k in keys)
    assert len(pmap_module._slots) <= 8
