"""The submission's read is prepared once per connection, and PostgreSQL then runs one plan
for every submission, made without the parameters' values. That plan must still find the
bid to replace through the partial index of sealed bids, or each submission would read
every bid the supplier ever made."""

import re

import pytest
from django.db import connection
from psycopg import sql

from bidding import submission_rows as rows
from esign.authority import fingerprint

from ..conftest import needs_postgres

pytestmark = [
    pytest.mark.django_db,
    needs_postgres("the plans PostgreSQL makes for prepared statements"),
]


def _read_statement(tender, bidder) -> tuple[str, list]:
    seen = []

    def capture(execute, statement, params, many, context):
        seen.append((statement, params))
        return execute(statement, params, many, context)

    with connection.execute_wrapper(capture):
        rows.submission_read(
            fingerprint=fingerprint(bidder.certificate),
            actor_id=bidder.user.pk,
            tender_id=tender.pk,
            lot_number=1,
            idempotency_key="",
        )
    return seen[-1]


def _generic_plan(statement: str, params: list, *, scans_allowed: bool = False) -> str:
    """The plan PostgreSQL keeps for the prepared read, for all values; unless
    `scans_allowed`, with the small tables of a test read by index as a busy system's are."""
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub(r"%s", lambda _: f"${next(numbered)}", statement)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        if not scans_allowed:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"PREPARE submission_read_plan AS {prepared}")
        values = sql.SQL(", ").join(sql.Literal(value) for value in params)
        explain = sql.SQL("EXPLAIN EXECUTE submission_read_plan({})").format(values)
        cursor.execute(explain.as_string(cursor.cursor.connection))
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("DEALLOCATE submission_read_plan")
    return plan


def test_the_one_plan_of_the_read_finds_the_sealed_bid_by_its_partial_index(in_bidding, bidders):
    bidder = bidders[0]
    for amount in range(4):  # three replaced bids and the sealed one
        bidder.submit(in_bidding, amount=90_000_000 + amount)
    plan = _generic_plan(*_read_statement(in_bidding, bidder))
    assert "Index Scan using one_sealed_bid_per_lot on bidding_bid p" in plan, plan


def test_the_one_plan_of_the_read_finds_the_supplier_by_its_organisation(in_bidding, bidders):
    """Not by reading every supplier of the platform and keeping the certificate's: with
    the planner free to scan, even a test's few suppliers are found by their index."""
    bidder = bidders[0]
    bidder.submit(in_bidding)
    plan = _generic_plan(*_read_statement(in_bidding, bidder), scans_allowed=True)
    scan = re.search(
        r"Index Scan using \S+ on suppliers_supplier s .*\n\s+Index Cond: \((.*)\)", plan
    )
    assert scan is not None, plan
    assert scan.group(1) == "organisation_id = c.organisation_id", plan


def test_the_one_plan_of_the_read_finds_the_replaced_bids_receipt_by_the_bid(in_bidding, bidders):
    """Not by reading every bid receipt of the platform: a plan made while the table was
    small (a new connection on a young platform) would keep doing so as it grows."""
    bidder = bidders[0]
    for amount in range(2):  # one replaced bid and the sealed one
        bidder.submit(in_bidding, amount=90_000_000 + amount)
    plan = _generic_plan(*_read_statement(in_bidding, bidder), scans_allowed=True)
    scan = re.search(r"Scan using \S+ on bidding_receipt pr .*\n\s+Index Cond: \((.*)\)", plan)
    assert scan is not None, plan
    assert "bid_id = p.id" in scan.group(1), plan
