"""The rows a bid submission reads and writes, in as few statements as its checks allow.

Through the ORM a submission took some twenty queries, each compiled anew: about half of
its time. Here each step is one plain SQL statement (the same on PostgreSQL and SQLite,
PostgreSQL adding its row locks), and the rows come back as partial model instances
(`Model.from_db`; a field not read is loaded on first use), so the rules on the models
(`supersede`, `is_debarred`, the status displays) are the ones that decide.

    context_read     before the transaction: whether the tender is published, the
                     certificate, the bidder's supplier, the lot, an earlier use of the
                     Idempotency-Key, and the clock
    locked_read      in it: the registration locked, the lot shared against the opening;
                     then, with a new snapshot, the tender and supplier as they are now,
                     the clock, the key again, the sealed bid to replace, and the keys the
                     receipt is signed with
    insert_row       a new row from a model instance (bid_and_receipt_insert: the bid and
                     its receipt, after superseding the bid they replace)
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.utils import timezone
from django_fsm import FSMFieldMixin

from accounts.models import Organisation, Role
from core import clock
from core.audit import prepared_cursor
from esign.models import Certificate
from esign.service_keys import service_key_columns, service_keys_of
from procurement.models import Lot, Tender
from suppliers.models import Supplier

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
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        raise ValueError(f"not all concrete fields of {model.__name__}: {sorted(values)}")
    states = {f.attname for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)}
    if not states <= values.keys():
        raise ValueError(f"{model.__name__} needs its state fields read: {sorted(states)}")
    return model.from_db(connection.alias, names, [values[name] for name in names])


@dataclass(frozen=True)
class Context:
    now: datetime
    tender_published: bool  # as `tenders_public` has it; else the tender is not found
    certificate: Certificate | None  # the platform's record of the signing certificate
    supplier: Supplier | None  # the certificate's company, if the actor bids for it
    lot: Lot | None
    key_used: bool  # a bid of the actor's already carries the Idempotency-Key


CONTEXT_SQL = """
SELECT {clock},
  EXISTS (SELECT 1 FROM procurement_tender t WHERE t.id = %s AND t.published_at IS NOT NULL),
  c.id, c.holder_id, c.status, c.fingerprint, o.id, o.name, o.code, s.id, s.status,
  l.id, l.status,
  EXISTS (SELECT 1 FROM bidding_bid b WHERE b.submitted_by_id = %s
          AND b.idempotency_key = %s AND b.idempotency_key <> '')
FROM (SELECT 1 AS one) AS one
LEFT JOIN procurement_lot l ON l.tender_id = %s AND l.number = %s
LEFT JOIN esign_certificate c ON c.fingerprint = %s
LEFT JOIN accounts_organisation o ON o.id = c.organisation_id
LEFT JOIN suppliers_supplier s ON s.organisation_id = c.organisation_id AND EXISTS (
  SELECT 1 FROM accounts_membership m WHERE m.user_id = %s
  AND m.organisation_id = c.organisation_id AND m.role IN (%s, %s))
"""


def context_read(
    *, fingerprint: str, actor_id: int, tender_id: int, lot_number: int, idempotency_key: str
) -> Context:
    with prepared_cursor() as cursor:
        cursor.execute(
            CONTEXT_SQL.format(clock=_clock_column()),
            [tender_id, actor_id, idempotency_key, tender_id, lot_number, fingerprint, actor_id]
            + list(BIDDER_ROLES),
        )
        (now, published, c_id, holder_id, c_status, c_fingerprint, o_id, o_name, o_code, s_id,
         s_status, lot_id, lot_status, key_used) = cursor.fetchone()  # fmt: skip
    certificate = supplier = lot = None
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
        if s_id is not None:
            # The status too: the model's transitions read it as it is made.
            supplier = _partial(Supplier, id=s_id, organisation_id=o_id, status=s_status)
            supplier.organisation = organisation
    if lot_id is not None:
        lot = _partial(Lot, id=lot_id, tender_id=tender_id, number=lot_number, status=lot_status)
    return Context(_now(now), bool(published), certificate, supplier, lot, bool(key_used))


LOCK_SQL = (
    "SELECT r.id FROM bidding_tenderregistration r, procurement_lot l "
    "WHERE r.tender_id = %s AND r.supplier_id = %s AND l.id = %s"
)
# The supplier's submissions and withdrawals queue behind each other on its registration
# (other suppliers' do not); the lot is held against the opening with a shared lock
# (submissions never wait for each other; the opening takes the lot exclusively, so it
# starts only once every bid received before the deadline is committed). SQLite runs one
# writer at a time and needs neither lock.
LOCK_SQL_POSTGRESQL = LOCK_SQL + " FOR UPDATE OF r FOR KEY SHARE OF l"


@dataclass(frozen=True)
class Fresh:
    now: datetime
    tender: Tender
    supplier: Supplier
    has_categories: bool
    key_used: bool
    previous: Bid | None  # the supplier's sealed bid for the lot, which this one replaces
    previous_receipt: str | None
    receipt_keys: dict  # receipt_key_roles() -> ServiceKey, current at `now`


FRESH_SQL = """
SELECT {clock}, t.ocid, t.status, t.bid_open_at, t.bid_close_at,
  EXISTS (SELECT 1 FROM procurement_tender_categories tc WHERE tc.tender_id = t.id),
  s.organisation_id, s.status, s.suspended_until, s.suspension_reason, o.name, o.code,
  EXISTS (SELECT 1 FROM bidding_bid b WHERE b.submitted_by_id = %s
          AND b.idempotency_key = %s AND b.idempotency_key <> ''),
  p.id, r.number, {keys}
FROM procurement_tender t
JOIN suppliers_supplier s ON s.id = %s
JOIN accounts_organisation o ON o.id = s.organisation_id
LEFT JOIN bidding_bid p ON p.lot_id = %s AND p.supplier_id = s.id AND p.status = %s
LEFT JOIN bidding_receipt r ON r.bid_id = p.id AND r.kind = %s
WHERE t.id = %s
"""


def locked_read(
    *, tender_id: int, supplier_id: int, lot_id: int, actor_id: int, idempotency_key: str
) -> "Fresh | None":
    """Lock the supplier's registration and the lot (LOCK_SQL), then read, in a statement
    of its own, what the submission decides on: under READ COMMITTED that statement sees
    whatever committed while this one waited for the lock (the same supplier's previous
    submission, the same key's first request). None when the supplier is not registered."""
    lock = [tender_id, supplier_id, lot_id]
    fresh = [
        actor_id,
        idempotency_key,
        supplier_id,
        lot_id,
        BidStatus.SEALED.value,
        ReceiptKind.BID.value,
        tender_id,
    ]
    roles = receipt_key_roles()
    keys_sql, keys_params = service_key_columns(roles)
    fresh_sql = FRESH_SQL.format(clock=_clock_column(), keys=keys_sql)
    fresh = fresh[:2] + keys_params + fresh[2:]
    postgresql = connection.vendor == "postgresql"
    with prepared_cursor() as cursor:
        cursor.execute(LOCK_SQL_POSTGRESQL if postgresql else LOCK_SQL, lock)
        registered = cursor.fetchone() is not None
        cursor.execute(fresh_sql, fresh)
        row = cursor.fetchone()
    if not registered:
        return None
    (now, ocid, t_status, bid_open_at, bid_close_at, has_categories, o_id, s_status,
     suspended_until, suspension_reason, o_name, o_code, key_used, previous_id,
     previous_receipt) = row[:15]  # fmt: skip
    tender = _partial(
        Tender,
        id=tender_id,
        ocid=ocid,
        status=t_status,
        bid_open_at=_datetime(bid_open_at),
        bid_close_at=_datetime(bid_close_at),
    )
    supplier = _partial(
        Supplier,
        id=supplier_id,
        organisation_id=o_id,
        status=s_status,
        suspended_until=_date(suspended_until),
        suspension_reason=suspension_reason,
    )
    supplier.organisation = _partial(Organisation, id=o_id, name=o_name, code=o_code)
    previous = None
    if previous_id is not None:
        previous = _partial(Bid, id=previous_id, status=BidStatus.SEALED.value)
    return Fresh(
        _now(now),
        tender,
        supplier,
        bool(has_categories),
        bool(key_used),
        previous,
        previous_receipt,
        service_keys_of(roles, row[15:]),
    )


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
def _insert_sql(model, vendor: str) -> tuple[str, tuple]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
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
    sql, fields = _insert_sql(type(instance), connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.cache
def _bid_and_receipt_sql(superseding: bool) -> str:
    """INSERT of a bid and, chained to it, of its receipt (PostgreSQL); `superseding`: after
    the UPDATE that supersedes the bid it replaces, in the same statement."""
    bid_sql, bid_fields = _insert_sql(Bid, "postgresql")
    receipt_fields = tuple(f for f in Receipt._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    if superseding:
        # The new bid's row is made from the superseded one's: the UPDATE has run before it
        # (the sealed-bid-per-lot index sees one sealed row), and no bid is inserted when
        # the one to replace was no longer sealed.
        bid_columns = ", ".join(quote(f.column) for f in bid_fields)
        bid_values = ", ".join(["%s"] * len(bid_fields))
        bid_sql = (
            f"INSERT INTO {quote(Bid._meta.db_table)} ({bid_columns}) "  # noqa: S608 - the model's own names
            f"SELECT {bid_values} FROM superseded RETURNING {quote(Bid._meta.pk.column)}"
        )
    columns = ", ".join(quote(f.column) for f in receipt_fields)
    values = ", ".join("bid.id" if f.name == "bid" else "%s" for f in receipt_fields)
    head = f"WITH superseded AS ({SUPERSEDE_SQL} RETURNING id), " if superseding else "WITH "
    return (
        f"{head}bid AS ({bid_sql}) "  # noqa: S608 - the models' own names
        f"INSERT INTO {quote(Receipt._meta.db_table)} ({columns}) SELECT {values} FROM bid "
        f"RETURNING {quote('bid_id')}, {quote('id')}"
    )


def bid_and_receipt_insert(bid: Bid, receipt: Receipt, *, superseding: Bid | None = None) -> bool:
    """Store what `Bid.supersede` set on `superseding` (as the model's concurrent-transition
    save does: only if that row is still sealed), then `insert_row` the bid and its receipt;
    on PostgreSQL all in one statement. False, and nothing stored, if the bid to supersede
    was no longer sealed."""
    if connection.vendor != "postgresql":
        if superseding is not None and not bid_supersede_save(superseding):
            return False
        insert_row(bid)
        receipt.bid = bid
        insert_row(receipt)
        return True
    _, bid_fields = _insert_sql(Bid, "postgresql")
    _, receipt_fields = _insert_sql(Receipt, "postgresql")
    values = []
    if superseding is not None:
        values += [
            superseding.status,
            _field_value(Bid, "closed_at", superseding),
            superseding.pk,
            BidStatus.SEALED.value,
        ]
    values += [f.get_db_prep_save(f.pre_save(bid, True), connection) for f in bid_fields]
    values += [
        f.get_db_prep_save(f.pre_save(receipt, True), connection)
        for f in receipt_fields
        if f.name != "bid"
    ]
    with prepared_cursor() as cursor:
        cursor.execute(_bid_and_receipt_sql(superseding is not None), values)
        row = cursor.fetchone()
    if row is None:
        return False
    bid.pk, receipt.pk = row
    for instance in (bid, receipt):
        instance._state.adding = False
        instance._state.db = connection.alias
    receipt.bid = bid
    return True
