"""The escalator over a region log in one process: what it must have published, in order.

`corridor replay` and the tests compare this with what the worker published: same ids, same
bytes (DESIGN.md §4: replaying the log reproduces every output)."""

from collections.abc import Callable, Iterable

from schemas.outputs import EscalationEvent
from schemas.sequenced import SequencedEvent
from services.escalator.domain.messages import Operates, encode, message_id, publications
from services.escalator.store import Folds

Published = dict[tuple[str | None, str], bytes]
"""(partner id or None for the full record, message id) → the encoded message."""


def replay(
    events: Iterable[SequencedEvent], folds: Folds, inboxes: Callable[[str], Operates | None]
) -> list[tuple[str | None, EscalationEvent]]:
    found: list[tuple[str | None, EscalationEvent]] = []
    for event in events:
        found.extend(publications(folds.advance(event, 0), inboxes))
    return found


def encoded(published: Iterable[tuple[str | None, EscalationEvent]]) -> Published:
    return {(partner, message_id(record)): encode(record) for partner, record in published}
