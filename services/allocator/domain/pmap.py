"""A persistent string-keyed map: changing a few keys copies a few small buckets, not the map.

The allocator's state is immutable, and some of its tables grow large (processed event ids,
shelters); copying a whole dict per event would cost time proportional to the table. Keys are
spread over buckets by CRC-32 (stable across runs, unlike ``hash``). Iteration order is by
bucket, then insertion: sort when order matters.
"""

import zlib
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import TypeVar

V = TypeVar("V")
BUCKETS = 512
_EMPTY: tuple[dict[str, object], ...] = tuple({} for _ in range(BUCKETS))


def _slot(key: str) -> int:
    return zlib.crc32(key.encode()) % BUCKETS


class PMap(Mapping[str, V]):
    __slots__ = ("_buckets", "_len")

    def __init__(self, items: Mapping[str, V] | None = None) -> None:
        self._buckets: tuple[dict[str, V], ...] = _EMPTY  # type: ignore[assignment]
        self._len = 0
        if items:
            filled = self.updated(items, ())
            self._buckets, self._len = filled._buckets, filled._len

    def __getitem__(self, key: str) -> V:
        return self._buckets[_slot(key)][key]

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._buckets[_slot(key)].get(key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._buckets[_slot(key)]

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets:
            yield from bucket

    def each(self) -> Iterator[V]:
        """The values in iteration order, read from the buckets (as ``values()`` now does too)."""
        for bucket in self._buckets:
            yield from bucket.values()

    def __len__(self) -> int:
        return self._len

    def values(self) -> ValuesView[V]:
        """In iteration order, read from the buckets (not key by key through ``__getitem__``)."""
        return _Values(self)

    def items(self) -> ItemsView[str, V]:
        return _Items(self)

    def __repr__(self) -> str:
        return f"PMap({dict(self)!r})"

    def updated(self, puts: Mapping[str, V], drops: Iterable[str]) -> "PMap[V]":
        """A new map with ``drops`` removed, then ``puts`` set; this one is unchanged."""
        buckets = list(self._buckets)
        copied: set[int] = set()
        length = self._len

        def bucket(key: str) -> dict[str, V]:
            slot = _slot(key)
            if slot not in copied:
                buckets[slot] = dict(buckets[slot])
                copied.add(slot)
            return buckets[slot]

        for key in drops:
            if key in self and bucket(key).pop(key, None) is not None:
                length -= 1
        for key, value in puts.items():
            rows = bucket(key)
            length += key not in rows
            rows[key] = value
        fresh: PMap[V] = PMap()
        fresh._buckets, fresh._len = tuple(buckets), length
        return fresh


class _Values(ValuesView[V]):
    _mapping: PMap[V]

    def __iter__(self) -> Iterator[V]:
        for bucket in self._mapping._buckets:
            yield from bucket.values()


class _Items(ItemsView[str, V]):
    _mapping: PMap[V]

    def __iter__(self) -> Iterator[tuple[str, V]]:
        for bucket in self._mapping._buckets:
            yield from bucket.items()
