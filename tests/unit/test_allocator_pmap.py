"""The persistent map's views read its buckets directly: same order and values as its keys."""

from hypothesis import given
from hypothesis import strategies as st

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
