"""The rows a bid submission reads and writes, in as few statements as its checks allow.

Through the ORM a submission took some twenty queries, each compiled anew: about half of
its time. Here it is one plain SQL statement to read and one to write, and the rows come
back as partial model instances (`Model.from_db`; a field not read is loaded on first use),
so the rules on the models (`supersede`, `is_debarred`, the status displays) are the ones
that decide.

    submission_read  the clock; the tender if published; the certificate; the bidder's
                     supplier, whether it is registered and its licences in the tender's
                     categories; the lot; an earlier use of the Idempotency-Key; the
                     sealed bid to replace; the keys the receipt is signed with; on
                     PostgreSQL the new bid's id
    bid_store        PostgreSQL: one statement that checks what the read found still holds
                     (GUARD_SQL), supersedes the bid replaced, inserts the bid and its
                     receipt and appends the audit event, committing on its own; SQLite:
                     the same statement by statement, in the transaction that holds the
                     database's write lock since before the read (submission_scope)
"""

import contextlib
import functools
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django_fsm import FSMFieldMixin

from accounts.models import Organisation, Role
from accounts.tokens import TokenClaim, token_actor_params, token_actor_sql, token_actor_user
from core import clock
from core.audit import (
    audit_append_params,
    audit_append_sql,
    audit_record,
    head_name,
    prepared_cursor,
    sealed_stream,
)
from esign.models import Certificate
from esign.service_keys import service_key_columns, service_keys_of
from procurement.models import Lot, Tender, TenderStatus
from suppliers.models import Supplier, licence_valid_on

from .models import Bid, BidStatus, Receipt, ReceiptKind
from .receipts import receipt_key_roles

BIDDER_ROLES = (Role.BIDDER.value, Role.SUPPLIER_ADMIN.value)


def _clock_column() -> str:
    return clock.sql() or "NULL"


def _now(value) -> datetime:
    # The local clock is read once the statement has returned, i.e. after its locks.
    return value if value is not None else timezone.now()


def _datetime(value):
    if value is None or connection.vendor == "postgresql":
        return value
    # SQLite gives text or a naive datetime: its backend's own conversion makes it aware.
    return connection.ops.convert_datetimefield_value(value, None, connection)


def _date(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)  # SQLite text


def _partial(model, **values):
    """An instance with only these fields loaded (from_db wants them in the model's order).
    Its state fields must be among them: a model with transitions reads them as it is made,
    and would query for each one missing."""
    names = _loaded_names(model, tuple(values))
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


@functools.cache
def _loaded_names(model, given: tuple[str, ...]) -> tuple[str, ...]:
    """`given` in the model's order of fields, checked once for each model and set of fields
    (a tuple: every instance made with these fields shares it)."""
    names = tuple(f.attname for f in model._meta.concrete_fields if f.attname in given)
    if len(names) != len(given):
        raise ValueError(f"not all concrete fields of {model.__name__}: {sorted(given)}")
    states = {f.attname for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)}
    if not states <= set(given):
        raise ValueError(f"{model.__name__} needs its state fields read: {sorted(states)}")
    return names


@dataclass(frozen=True)
class Found:
    """What a submission decides on, as one statement read it."""

    actor: object | None  # the user of the token the read checked; None when it had none
    now: datetime
    tender: Tender | None  # None: no such tender published (a draft is not found either)
    # None: the tender names no category; otherwise the latest end of the supplier's
    # licences in its categories (see OPEN_ENDED below)
    licence_until: date | None
    certificate: Certificate | None  # the platform's record of the signing certificate
    supplier: Supplier | None  # the certificate's company, if the actor bids for it
    lot: Lot | None
    key_used: bool  # a bid of the actor's already carries the Idempotency-Key
    registered: bool  # the supplier is registered for the tender
    previous: Bid | None  # the supplier's sealed bid for the lot, which this one replaces
    previous_receipt: str | None
    receipt_keys: dict  # receipt_key_roles() -> ServiceKey, current at `now`
    bid_id: int  # the new bid's id (bid_id_new), known before the write: the audit event's
    # hash covers it, and the event is written in the same statement as the bid
    chained: bool  # the tender's sealed audit stream has its head

    def licence_missing(self, now: datetime) -> bool:
        """Whether the tender names categories and the supplier holds no licence in one of
        them valid on the day of `now` (by the licences' one rule)."""
        if self.licence_until is None:
            return False
        return not licence_valid_on(self.licence_until, timezone.localdate(now))


SUBMISSION_SQL = """{token_ctes}
SELECT {token_columns}{clock}, t.id, t.ocid, t.status, t.bid_open_at, t.bid_close_at,
  (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE COALESCE(max(
     CASE WHEN li.id IS NOT NULL THEN COALESCE(li.valid_until, {open_ended}) END), {none_held})
   END
   FROM procurement_tender_categories tc LEFT JOIN suppliers_licence li
   ON li.category_id = tc.category_id AND li.supplier_id = s.id WHERE tc.tender_id = t.id),
  c.id, c.holder_id, c.status, c.fingerprint, o.id, o.name, o.code,
  s.id, s.status, s.suspended_until, s.suspension_reason, l.id, l.status,
  EXISTS (SELECT 1 FROM bidding_bid b WHERE b.submitted_by_id = {actor}
          AND b.idempotency_key = %s AND b.idempotency_key <> ''),
  EXISTS (SELECT 1 FROM accounts_membership m WHERE m.user_id = {actor}
          AND m.organisation_id = c.organisation_id AND m.role IN ({roles})),
  EXISTS (SELECT 1 FROM bidding_tenderregistration r
          WHERE r.tender_id = t.id AND r.supplier_id = s.id),
  EXISTS (SELECT 1 FROM core_streamhead h WHERE h.name = %s || t.ocid),
  p.id, (SELECT pr.number FROM bidding_receipt pr
         WHERE pr.bid_id = p.id AND pr.kind = {bid_receipt}),
  {keys}
FROM (SELECT 1 AS one) AS one{token_join}
LEFT JOIN procurement_tender t ON t.id = %s AND t.published_at IS NOT NULL
LEFT JOIN procurement_lot l ON l.tender_id = t.id AND l.number = %s
LEFT JOIN esign_certificate c ON c.fingerprint = %s
LEFT JOIN accounts_organisation o ON o.id = c.organisation_id
LEFT JOIN suppliers_supplier s ON s.organisation_id = c.organisation_id
LEFT JOIN bidding_bid p ON p.lot_id = l.id AND p.supplier_id = s.id AND p.status = {sealed}
"""
# The constants are in the statement's text, not parameters: its plan, made once for all
# submissions, then finds the sealed bid by the partial index one_sealed_bid_per_lot
# instead of reading every bid the supplier ever made and keeping the sealed one.
# Whether the actor bids for the certificate's company is a column, not a condition of the
# supplier's join: as a condition, the plan read every supplier of the platform on each
# submission (a hash join) instead of the one by its organisation. The replaced bid's
# receipt is a subquery on the bid's id, not a join: joined, a plan made while receipts
# were few read all of them on every submission, and a connection keeps its plan.

# The tender's categories and the supplier's licences in them, as one date: NULL when the
# tender names no category (none is required); otherwise the latest end of those licences,
# for whether one is valid on the day of the authoritative clock's time, a licence without
# an end counting as ending on the last day there is, and none held as the first day.
OPEN_ENDED, NONE_HELD = date.max, date.min

# A bid's id is drawn at random, not from a sequence: ids in order would tell a bidder how
# many submissions were made between two of theirs. Below 2**53, so that JavaScript reads it
# exactly; two draws alike are one in billions, and the store's unique key then refuses the
# second, which is decided anew with an id of its own.
BID_ID_SPACE = 2**53 - 1


def bid_id_new() -> int:
    return secrets.randbelow(BID_ID_SPACE) + 1


def _literal_date(day: date) -> str:
    return f"'{day.isoformat()}'"  # a date's ISO form: digits and dashes only


def _literal(constant: str) -> str:
    if not constant.replace("_", "").isalnum():
        raise ValueError(f"not a plain constant: {constant!r}")
    return f"'{constant}'"


@functools.cache
def _submission_sql(
    clock_column: str, vendor: str, roles: tuple, claimed: bool
) -> tuple[str, tuple, int]:
    """SUBMISSION_SQL as this database and these receipt keys have it, the keys'
    parameters, and how many columns the claimed token's user takes before the rest: made
    once, not on every submission. `claimed` (PostgreSQL): the actor is the user of a
    TokenClaim, checked by this statement (accounts.tokens.token_actor_sql)."""
    keys_sql, keys_params = service_key_columns(roles)
    token_ctes = token_columns = token_join = ""
    actor, user_columns = "%s", 0
    if claimed:
        ctes, names = token_actor_sql()
        token_ctes = f"WITH {ctes}"
        token_columns = "".join(f"ta.{name}, " for name in names)
        token_join = "\nLEFT JOIN token_actor ta ON true"  # noqa: S105 - SQL
        actor, user_columns = "ta.user_id", len(names)
    sql = SUBMISSION_SQL.format(
        clock=clock_column,
        keys=keys_sql,
        roles=", ".join(_literal(role) for role in BIDDER_ROLES),
        sealed=_literal(BidStatus.SEALED.value),
        bid_receipt=_literal(ReceiptKind.BID.value),
        open_ended=_literal_date(OPEN_ENDED),
        none_held=_literal_date(NONE_HELD),
        actor=actor,
        token_ctes=token_ctes,
        token_columns=token_columns,
        token_join=token_join,
    )
    return sql, tuple(keys_params), user_columns


def submission_read(
    *,
    fingerprint: str,
    tender_id: int,
    lot_number: int,
    idempotency_key: str,
    actor_id: int | None = None,
    token: TokenClaim | None = None,
) -> Found:
    """What a submission by `actor_id`, or by the user of `token` (PostgreSQL; checked
    here: `Found.actor` is None when it names no active user of an unrevoked token, and
    the rest is then not to be used), decides on."""
    roles = receipt_key_roles()
    claimed = token is not None
    if claimed and connection.vendor != "postgresql":
        raise ValueError("a token is checked within the read on PostgreSQL only")
    sql, keys_params, user_columns = _submission_sql(
        _clock_column(), connection.vendor, roles, claimed
    )
    actors = [] if claimed else [actor_id]
    params = [
        *(token_actor_params(token) if claimed else ()),
        *actors,
        idempotency_key,
        *actors,
        head_name(sealed_stream("")),
        *keys_params,
        tender_id,
        lot_number,
        fingerprint,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    actor = token_actor_user(row[:user_columns]) if claimed else None
    row = row[user_columns:]
    (now, t_id, ocid, t_status, bid_open_at, bid_close_at, licence_until, c_id, holder_id,
     c_status, c_fingerprint, o_id, o_name, o_code, s_id, s_status, suspended_until,
     suspension_reason, lot_id, lot_status, key_used, bids_for, registered, chained,
     previous_id, previous_receipt) = row[:26]  # fmt: skip
    tender = certificate = supplier = lot = previous = None
    if t_id is not None:
        tender = _partial(
            Tender,
            id=t_id,
            ocid=ocid,
            status=t_status,
            bid_open_at=_datetime(bid_open_at),
            bid_close_at=_datetime(bid_close_at),
        )
    if c_id is not None:
        organisation = _partial(Organisation, id=o_id, name=o_name, code=o_code)
        certificate = _partial(
            Certificate,
            id=c_id,
            holder_id=holder_id,
            organisation_id=o_id,
            status=c_status,
            fingerprint=c_fingerprint,
        )
        certificate.organisation = organisation
        if s_id is not None and bids_for:
            supplier = _partial(
                Supplier,
                id=s_id,
                organisation_id=o_id,
                status=s_status,
                suspended_until=_date(suspended_until),
                suspension_reason=suspension_reason,
            )
            supplier.organisation = organisation
    if lot_id is not None:
        lot = _partial(Lot, id=lot_id, tender_id=tender_id, number=lot_number, status=lot_status)
    if previous_id is not None:
        previous = _partial(Bid, id=previous_id, status=BidStatus.SEALED.value)
    return Found(
        actor=actor,
        now=_now(now),
        tender=tender,
        licence_until=_date(licence_until),
        certificate=certificate,
        supplier=supplier,
        lot=lot,
        key_used=bool(key_used),
        registered=bool(registered),
        previous=previous,
        previous_receipt=previous_receipt,
        receipt_keys=service_keys_of(roles, row[26:]),
        bid_id=bid_id_new(),
        chained=bool(chained),
    )


def submission_scope():
    """Where a submission's read and write run. SQLite: one transaction, which holds the
    database's only write lock from its start (IMMEDIATE), so nothing changes between the
    two. PostgreSQL: none; the read and the write are each a statement of their own, and
    the write stores nothing if what the read found has changed since (see bid_store).
    Inside a caller's transaction (a test's) a savepoint, which a refused write leaves
    usable."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


SUPERSEDE_SQL = "UPDATE bidding_bid SET status = %s, closed_at = %s WHERE id = %s AND status = %s"


def bid_supersede_save(bid: Bid) -> bool:
    """Store what `Bid.supersede` set, as the model's concurrent-transition save does:
    only if the row is still sealed. False if it no longer was."""
    with prepared_cursor() as cursor:
        cursor.execute(
            SUPERSEDE_SQL,
            [bid.status, _field_value(Bid, "closed_at", bid), bid.pk, BidStatus.SEALED.value],
        )
        return cursor.rowcount == 1


def _field_value(model, name: str, instance):
    field = model._meta.get_field(name)
    return field.get_db_prep_save(getattr(instance, field.attname), connection)


@functools.cache
def _insert_sql(model, vendor: str, keyed: bool) -> tuple[str, tuple]:
    """`keyed`: the instance brings its primary key (a bid's, drawn at random)."""
    fields = tuple(f for f in model._meta.concrete_fields if keyed or not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - the model's own names
        f"VALUES ({placeholders}) RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def insert_row(instance) -> None:
    """INSERT `instance` as `save()` would (each field's own conversion for the database)
    and set its primary key; one statement, without the ORM's compilation of it."""
    sql, fields = _insert_sql(type(instance), connection.vendor, instance.pk is not None)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias


# The write, on PostgreSQL. The tender is held against the opening (which takes it for
# update before it counts the envelopes) only while the statement runs, and must still be
# taking bids at the time the read gave (for a deadline moved meanwhile); the supplier must
# still be registered; the bid to replace, if any, must still be sealed; the audit stream's
# head is then locked and moved in the same statement, so the hottest row of a deadline is
# held for a statement's time, not until a later COMMIT.
# A bid read before the deadline is stored although the clock closed bidding (the status
# `opening`) between its read and its write: at a deadline that happens to bids in flight,
# and the time that decides is the read's. What ends that is the opening key's rebuilding
# at the k-th share, after which the envelopes are counted: the key's row is locked with
# the tender's so that a rebuilding committed after this statement's snapshot is seen (a
# locked row is read again at its newest version), and one committed after the lock
# (the share's entry waits for it) still finds this bid stored before the opening counts.
GUARD_SQL = (
    "bidding_open AS (SELECT t.id FROM procurement_tender t "
    "JOIN bidding_openingkey k ON k.tender_id = t.id AND k.rebuilt_at IS NULL "
    "WHERE t.id = %(bid_tender_id)s "
    "AND t.status IN (%(notice)s, %(bidding)s, %(opening)s) "
    "AND t.bid_open_at <= %(bid_received_at)s AND t.bid_close_at > %(bid_received_at)s "
    "AND EXISTS (SELECT 1 FROM bidding_tenderregistration r "
    "WHERE r.tender_id = t.id AND r.supplier_id = %(bid_supplier_id)s) "
    "AND EXISTS (SELECT 1 FROM core_streamhead h WHERE h.name = %(audit_head)s) "
    "FOR KEY SHARE OF t, k)"
)
SUPERSEDE_NAMED_SQL = (
    "superseded AS (UPDATE bidding_bid SET status = %(superseded_status)s, "
    "closed_at = %(superseded_closed_at)s WHERE id = %(superseded_id)s AND status = %(sealed)s "
    "AND EXISTS (SELECT 1 FROM bidding_open) RETURNING id)"
)


@functools.cache
def _store_sql(superseding: bool) -> tuple[str, tuple, tuple]:
    """The statement (PostgreSQL), with the bid's and the receipt's fields. Its parameters
    are named (`bid_<column>`, `receipt_<column>`, ...), each value sent once: within
    psycopg's limits for caching a statement's conversion (50 parameters)."""
    quote = connection.ops.quote_name
    bid_fields = tuple(Bid._meta.concrete_fields)  # the id too: drawn by the read
    receipt_fields = tuple(f for f in Receipt._meta.concrete_fields if not f.primary_key)
    bid_columns = ", ".join(quote(f.column) for f in bid_fields)
    bid_values = ", ".join(f"%(bid_{f.attname})s" for f in bid_fields)
    # A replacement's row is made from the superseded one's: the UPDATE has run before it
    # (the sealed-bid-per-lot index sees one sealed row), and nothing is inserted when the
    # bid to replace was no longer sealed.
    source = "superseded" if superseding else "bidding_open"
    parts = [GUARD_SQL, SUPERSEDE_NAMED_SQL] if superseding else [GUARD_SQL]
    receipt_columns = ", ".join(quote(f.column) for f in receipt_fields)
    receipt_values = ", ".join(
        "bid.id" if f.name == "bid" else f"%(receipt_{f.attname})s" for f in receipt_fields
    )
    parts += [
        f"bid AS (INSERT INTO {quote(Bid._meta.db_table)} ({bid_columns}) "  # noqa: S608 - the model's own names
        f"SELECT {bid_values} FROM {source} RETURNING id)",
        f"receipt AS (INSERT INTO {quote(Receipt._meta.db_table)} ({receipt_columns}) "  # noqa: S608 - the model's own names
        f"SELECT {receipt_values} FROM bid RETURNING id)",
        audit_append_sql(after="receipt"),
    ]
    sql = "WITH " + ", ".join(parts) + " SELECT r.id, e.id FROM receipt r, audit_event e"  # noqa: S608 - constants
    return sql, bid_fields, receipt_fields


def bid_store(bid: Bid, receipt: Receipt, *, superseding: Bid | None, event: dict) -> bool:
    """Store the bid (`bid.pk` drawn by the read on PostgreSQL), its receipt, what
    `Bid.supersede` set on `superseding`, and the audit `event` (audit_record's arguments,
    the bid as its object). PostgreSQL: one statement, in its own transaction unless the
    caller has one; False, and nothing stored, when a guard of GUARD_SQL failed or the bid
    to supersede was no longer sealed. SQLite: statement by statement in the caller's
    transaction, which holds the write lock."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        if superseding is not None and not bid_supersede_save(superseding):
            return False
        insert_row(bid)
        receipt.bid = bid
        insert_row(receipt)
        audit_record(obj=bid, **event)
        return True
    sql, bid_fields, receipt_fields = _store_sql(superseding is not None)
    params = audit_append_params(obj=bid, occurred_at=bid.received_at, **event)
    params.update(
        notice=TenderStatus.NOTICE.value,
        bidding=TenderStatus.BIDDING.value,
        opening=TenderStatus.OPENING.value,
    )
    if superseding is not None:
        params.update(
            superseded_status=superseding.status,
            superseded_closed_at=_field_value(Bid, "closed_at", superseding),
            superseded_id=superseding.pk,
            sealed=BidStatus.SEALED.value,
        )
    for f in bid_fields:
        params[f"bid_{f.attname}"] = f.get_db_prep_save(f.pre_save(bid, True), db)
    for f in receipt_fields:
        if f.name != "bid":
            params[f"receipt_{f.attname}"] = f.get_db_prep_save(f.pre_save(receipt, True), db)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    receipt.pk = row[0]
    for instance in (bid, receipt):
        instance._state.adding = False
        instance._state.db = db.alias
    receipt.bid = bid
    return True
