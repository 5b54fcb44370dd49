"""The audit log's hash chain, as anyone checks it: pure functions of the events' JSON,
with no database, so that a downloaded log is checked by the same code as the platform's
own (`manage.py verify_audit`, `jangteo-client verify-opening`)."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


def canonical_json(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes for the same content, on any machine."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_digest(body: dict) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    stream: str
    position: int
    reason: str

    def __str__(self) -> str:
        return f"stream {self.stream!r} position {self.position}: {self.reason}"


def verify_chain(
    stream: str,
    events: Iterable[dict],
    head_position: int | None = None,
    head_hash: str | None = None,
) -> ChainBreak | None:
    """Check one stream's events (as `event_as_dict` gives them, in stored order).

    Works on a downloaded copy as well as on the database. Returns the first break or None.
    With the stream head given, an event cut off the end is detected too.
    """
    expected_prev = GENESIS_HASH
    expected_position = 1
    for event in events:
        position = event["position"]
        if position != expected_position:
            reason = (
                f"expected position {expected_position}, found {position} "
                "(an event was removed or reordered)"
            )
            return ChainBreak(stream, expected_position, reason)
        if event["prev_hash"] != expected_prev:
            return ChainBreak(
                stream,
                position,
                "does not follow the previous event "
                "(an earlier event was changed, removed or reordered)",
            )
        body = {k: v for k, v in event.items() if k != "hash"}
        if event_digest(body) != event["hash"]:
            return ChainBreak(
                stream, position, "content does not match its hash (the event was changed)"
            )
        expected_prev = event["hash"]
        expected_position += 1
    last = expected_position - 1
    if head_position is not None and head_position != last:
        return ChainBreak(
            stream,
            last + 1,
            f"the stream head is at {head_position} but the "
            f"log ends at {last} (events were removed from the end)",
        )
    if head_hash is not None and last and head_hash != expected_prev:
        return ChainBreak(stream, last, "the last event differs from the one the head recorded")
    return None
