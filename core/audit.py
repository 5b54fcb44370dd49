"""The audit log: append events in the caller's transaction; verify whole streams.

Streams: `platform` for platform-wide events; for each tender `tender:<ocid>` (public, from
its publication on), `sealed:<ocid>` (who asked, registered or bid: public once the opening is
over) and `internal:<ocid>` (its drafting inside the agency: never public).
Each event's hash covers its content and its predecessor's hash.
"""

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from . import clock
from .audit_chain import GENESIS_HASH, ChainBreak, canonical_json, event_digest, verify_chain
from .models import AuditEvent, StreamHead
from .streams import stream_advance

PLATFORM_STREAM = "platform"


def tender_stream(ocid: str) -> str:
    return f"tender:{ocid}"


def internal_stream(ocid: str) -> str:
    """A tender's drafting history inside its agency: audited, never published."""
    return f"internal:{ocid}"


def sealed_stream(ocid: str) -> str:
    """The part of a tender's log that would tell who takes part (registrations, bids):
    kept as carefully as the rest, published from the opening on."""
    return f"sealed:{ocid}"


def head_name(stream: str) -> str:
    return f"audit:{stream}"


def audit_head(stream: str) -> StreamHead | None:
    return StreamHead.objects.filter(name=head_name(stream)).first()


def audit_head_ensure(stream: str) -> None:
    """Make the head of `stream` (at position 0) if it has none: what `audit_append_sql`
    needs before a stream's first event."""
    StreamHead.objects.get_or_create(name=head_name(stream))


def audit_streams() -> list[str]:
    """Every audit stream: those with a head, and any with events but a missing head."""
    with_head = {
        name.removeprefix("audit:")
        for name in StreamHead.objects.filter(name__startswith="audit:").values_list(
            "name", flat=True
        )
    }
    with_events = set(AuditEvent.objects.values_list("stream", flat=True).distinct())
    return sorted(with_head | with_events)


def event_content(event: AuditEvent) -> dict:
    """Everything an event's hash covers, as the JSON anyone downloads and re-hashes."""
    return _content(
        {name: getattr(event, name) for name in _FIELDS},
        position=event.position,
        occurred_at=event.occurred_at,
        prev_hash=event.prev_hash,
    )


def _content(fields: dict, *, position: int, occurred_at: datetime, prev_hash: str) -> dict:
    return {
        "stream": fields["stream"],
        "position": position,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "kind": fields["kind"],
        "actor": {"id": fields["actor_id"], "label": fields["actor_label"]},
        "object": {"type": fields["object_type"], "id": fields["object_id"]},
        "data": fields["data"],
        "prev_hash": prev_hash,
    }


def audit_record(
    *,
    stream: str,
    kind: str,
    actor=None,
    obj=None,
    data: dict | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append an event to `stream` inside the caller's transaction.

    `actor` is a user or None for the platform itself (the clock, a background job). `data`
    must be JSON-serialisable; it is stored and hashed as given, so put in it only what the
    event means, never secrets.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record() must run inside the transaction of its change")
    name = head_name(stream)
    position, last_hash, occurred_at = _head_advance(name)
    event = _event_new(stream, kind, actor, obj, data, object_type, object_id)
    event.position, event.occurred_at = position, occurred_at
    event.prev_hash = last_hash or GENESIS_HASH
    event.hash = event_digest(event_content(event))
    _event_append(event, name)
    return event


@dataclass(frozen=True)
class Entry:
    """One event for `audit_record_many`: what `audit_record` takes besides the stream."""

    kind: str
    actor: object = None
    obj: object = None
    data: dict | None = None
    object_type: str = ""
    object_id: str = ""


def audit_record_many(*, stream: str, entries: list[Entry]) -> list[AuditEvent]:
    """Append `entries` to `stream` in order, inside the caller's transaction: the events
    `audit_record` would append one by one (their content, positions and chain hashes),
    with the stream's head locked and moved once and the events inserted in one statement.
    They share the one time read when the head was locked. An opening records a result for
    every envelope, fifty in each of its transactions."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many() must run inside the transaction of its change")
    if not entries:
        return []
    name = head_name(stream)
    position, last_hash, occurred_at = _head_advance(name)
    previous = last_hash or GENESIS_HASH
    events = []
    for offset, entry in enumerate(entries):
        event = _event_new(
            stream, entry.kind, entry.actor, entry.obj, entry.data, entry.object_type,
            entry.object_id,
        )  # fmt: skip
        event.position, event.occurred_at = position + offset, occurred_at
        event.prev_hash = previous
        event.hash = previous = event_digest(event_content(event))
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    last = events[-1]
    with prepared_cursor() as cursor:
        cursor.execute(_HEAD_STORE, [last.position, last.hash, name])
    return events


def _event_new(stream, kind, actor, obj, data, object_type, object_id) -> AuditEvent:
    """An event with everything but its place in the chain (position, time, hashes)."""
    return AuditEvent(**_event_fields(stream, kind, actor, obj, data, object_type, object_id))


# An event's own fields, as _event_fields gives them (the chain gives the rest).
_FIELDS = ("stream", "kind", "actor_id", "actor_label", "object_type", "object_id", "data")


def _event_fields(stream, kind, actor, obj, data, object_type, object_id) -> dict:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return {
        "stream": stream,
        "kind": kind,
        "actor_id": getattr(actor, "pk", None),
        "actor_label": actor.get_username() if actor is not None else "system",
        "object_type": object_type,
        "object_id": str(object_id),
        "data": json.loads(canonical_json(data or {})),  # what is hashed is what is stored
    }


@functools.cache
def _preparing_cursor_class():
    # Made on first use: psycopg's classes exist only where PostgreSQL is configured.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


def prepared_cursor():
    """Django's cursor; on PostgreSQL one whose statements are prepared, once per pooled
    connection. For the statements of the hot paths (audit appends, API tokens, bid
    submission): planning the joins of the submission's reads cost PostgreSQL 0.3 ms each
    time, more than running them. Still Django's wrapper around it (its errors, its
    logging). Here, in the lowest app, because every app's hot path uses it."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up
    if db.vendor != "postgresql":
        return db.cursor()
    db.ensure_connection()
    if db.connection.prepare_threshold is None:
        # Django leaves psycopg's preparing off (a transaction-pooling bouncer before
        # PgBouncer 1.21 would break it). Only cursors binding on the server prepare, and
        # only this function makes such cursors.
        db.connection.prepare_threshold = 5
    raw = _preparing_cursor_class()(db.connection)
    if db.queries_logged:
        return db.make_debug_cursor(raw)
    return db.make_cursor(raw)


# The head of a busy stream (a tender's bids) is the one row every writer of it waits for,
# from the moment it is locked to the commit: it is locked, moved and stored in two plain
# statements, not the ORM's four.


def _head_advance(name: str) -> tuple[int, str, datetime]:
    """Lock the stream's head and move it one position on; (position, last hash, the time
    by the authoritative clock, read once the head is locked)."""
    clock_sql = clock.sql()
    returning = '"position", last_hash' + (f", {clock_sql}" if clock_sql else "")
    with prepared_cursor() as cursor:
        cursor.execute(
            f'UPDATE core_streamhead SET "position" = "position" + 1 WHERE name = %s '  # noqa: S608 - constant parts only
            f"RETURNING {returning}",
            [name],
        )
        row = cursor.fetchone()
    if row is None:  # the stream's first event: make its head (or lock a concurrent one's)
        head = stream_advance(name)
        return head.position, head.last_hash, clock.now()
    return row[0], row[1], row[2] if clock_sql else timezone.now()


_EVENT_COLUMNS = (
    "stream", "position", "occurred_at", "kind", "actor_id", "actor_label", "object_type",
    "object_id", "data", "prev_hash", "hash",
)  # fmt: skip
_EVENT_FIELDS = [AuditEvent._meta.get_field(name) for name in _EVENT_COLUMNS]
_EVENT_INSERT = (
    'INSERT INTO core_auditevent (stream, "position", occurred_at, kind, actor_id, actor_label, '
    "object_type, object_id, data, prev_hash, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
_HEAD_STORE = 'UPDATE core_streamhead SET "position" = %s, last_hash = %s WHERE name = %s'


def _event_append(event: AuditEvent, name: str) -> None:
    """Insert the event and store the head's new position and hash."""
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS]
    head = [event.position, event.hash, name]
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH event AS ({_EVENT_INSERT}) {_HEAD_STORE} "  # noqa: S608 - constants
                "RETURNING (SELECT id FROM event)",
                values + head,
            )
            event.pk = cursor.fetchone()[0]
        else:
            cursor.execute(_EVENT_INSERT, values)
            event.pk = cursor.fetchone()[0]
            cursor.execute(_HEAD_STORE, head)
    event._state.adding = False
    event._state.db = connection.alias


# A change that is one statement (a bid's submission, on PostgreSQL) appends its event in
# that statement: the head is locked and moved, and the event inserted, only as long as the
# statement runs, not until a later COMMIT. The chain hash is then computed by PostgreSQL:
# everything the hash covers except the position and the previous hash is known
# beforehand, and with sorted keys those two sit together, followed only by the stream.
_CHAIN_PLACE = b'"position":0,"prev_hash":"' + GENESIS_HASH.encode() + b'",'
# Named parameters (prefixed `audit_`), so that the caller's statement can use its own
# beside them, and the head's name is sent once.
_APPEND_SQL = (
    "audit_head_old AS (SELECT \"position\", CASE last_hash WHEN '' THEN %(audit_genesis)s "
    "ELSE last_hash END AS prev_hash FROM core_streamhead "
    "WHERE name = %(audit_head)s AND EXISTS (SELECT 1 FROM {after}) FOR UPDATE), "
    'audit_head AS (UPDATE core_streamhead h SET "position" = o."position" + 1, '
    'last_hash = encode(sha256(%(audit_before)s::bytea || convert_to((o."position" + 1)::text '
    "|| ',\"prev_hash\":\"' || o.prev_hash || '\",', 'UTF8') || %(audit_behind)s::bytea), "
    "'hex') FROM audit_head_old o WHERE h.name = %(audit_head)s "
    'RETURNING h."position", h.last_hash, o.prev_hash), '
    'audit_event AS (INSERT INTO core_auditevent (stream, "position", occurred_at, kind, '
    "actor_id, actor_label, object_type, object_id, data, prev_hash, hash) "
    'SELECT %(audit_stream)s, a."position", %(audit_occurred_at)s, %(audit_kind)s, '
    "%(audit_actor_id)s, %(audit_actor_label)s, %(audit_object_type)s, %(audit_object_id)s, "
    "%(audit_data)s, a.prev_hash, a.last_hash FROM audit_head a RETURNING id)"
)
_APPEND_FIELDS = [
    AuditEvent._meta.get_field(name)
    for name in (
        "stream", "occurred_at", "kind", "actor_id", "actor_label", "object_type", "object_id",
        "data",
    )
]  # fmt: skip


def audit_append_sql(after: str) -> str:
    """What `audit_record` does, as parts of a WITH clause for PostgreSQL, with the named
    parameters `audit_append_params` gives (all beginning with `audit_`).

    The event is appended once the statement's part named `after` has returned a row, and
    not at all if it returns none; the statement's main query reads the new event's id
    from `audit_event`. The head of the stream must exist (the caller checks, in the same
    statement, that it does, with `%(audit_head)s`: a head is never removed)."""
    return _APPEND_SQL.format(after=after)


def audit_append_params(
    *,
    stream: str,
    kind: str,
    occurred_at: datetime,
    actor=None,
    obj=None,
    data: dict | None = None,
    object_type: str = "",
    object_id: str = "",
) -> dict:
    """The parameters of `audit_append_sql` for one event (audit_record's arguments, and
    the time it occurred)."""
    db = connections[DEFAULT_DB_ALIAS]
    # The event's fields without an AuditEvent: one model instance fewer a bid submission.
    fields = _event_fields(stream, kind, actor, obj, data, object_type, object_id)
    fields["occurred_at"] = occurred_at
    body = canonical_json(
        _content(fields, position=0, occurred_at=occurred_at, prev_hash=GENESIS_HASH)
    )
    cut = body.rindex(_CHAIN_PLACE)  # the last: `data` may hold the same text, never after
    params = {
        f"audit_{f.attname}": f.get_db_prep_save(fields[f.attname], db) for f in _APPEND_FIELDS
    }
    params.update(
        audit_genesis=GENESIS_HASH,
        audit_head=head_name(stream),
        audit_before=body[:cut] + b'"position":',
        audit_behind=body[cut + len(_CHAIN_PLACE) :],
    )
    return params


def event_as_dict(event: AuditEvent) -> dict:
    return {**event_content(event), "hash": event.hash}


def verify_stream(stream: str) -> ChainBreak | None:
    # The head first, then the events up to it: an event appended meanwhile is not yet part
    # of what is checked, rather than looking like one cut off the end.
    head = audit_head(stream)
    if head is None:
        return ChainBreak(stream, 0, "the stream has events but no head (the head was removed)")
    return verify_chain(
        stream, stream_events(stream, up_to=head.position), head.position, head.last_hash
    )


def stream_events(stream: str, up_to: int | None = None) -> Iterator[dict]:
    events = AuditEvent.objects.filter(stream=stream).order_by("position")
    if up_to is not None:
        events = events.filter(position__lte=up_to)
    for event in events.iterator(2000):
        yield event_as_dict(event)
