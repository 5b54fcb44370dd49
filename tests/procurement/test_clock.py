"""The tender clock with several instances running at once."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from core.audit import tender_stream, verify_stream
from core.models import AuditEvent, LiveEvent
from procurement.clock import clock_tick
from procurement.models import Tender, TenderStatus
from tests.conftest import NOW, needs_postgres


def run_instances(count: int, moment) -> list:
    """Run `count` clock instances in parallel threads (own connections), all at `moment`."""
    results, errors = [], []
    barrier = threading.Barrier(count)

    def instance():
        try:
            barrier.wait()
            results.extend(clock_tick())
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=instance) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    return results


@pytest.fixture
def due_tenders(published):
    with time_machine.travel(NOW, tick=False):
        return [published() for _ in range(12)]


def assert_moved_exactly_once(tenders, results, kind):
    assert len(results) == len(tenders)
    assert len({m.ocid for m in results}) == len(tenders)
    for tender in tenders:
        events = AuditEvent.objects.filter(stream=tender_stream(tender.ocid), kind=kind)
        assert events.count() == 1
        assert verify_stream(tender_stream(tender.ocid)) is None
    assert LiveEvent.objects.filter(topic="board", kind=kind).count() == len(tenders)


@needs_postgres("row locks with SKIP LOCKED; SQLite serialises writers instead")
@pytest.mark.django_db(transaction=True)
def test_four_clock_instances_move_each_tender_exactly_once(due_tenders):
    results = run_instances(4, due_tenders[0].bid_open_at)
    assert_moved_exactly_once(due_tenders, results, "tender.bidding_opened")
    assert set(Tender.objects.values_list("status", flat=True)) == {TenderStatus.BIDDING}


@needs_postgres("row locks with SKIP LOCKED; SQLite serialises writers instead")
@pytest.mark.django_db(transaction=True)
def test_instances_share_the_work_through_skip_locked(due_tenders):
    """With SKIP LOCKED no instance waits for another's row: all finish, none duplicates."""
    results = run_instances(3, due_tenders[0].bid_close_at + timedelta(seconds=1))
    # each tender goes notice -> bidding -> opening exactly once
    assert len(results) == 2 * len(due_tenders)
    assert len({(m.ocid, m.target) for m in results}) == len(results)
    assert set(Tender.objects.values_list("status", flat=True)) == {TenderStatus.OPENING}


@pytest.mark.django_db(transaction=True)
def test_two_clock_instances_on_the_embedded_database_never_double_move(due_tenders):
    results = run_instances(2, due_tenders[0].bid_open_at)
    assert_moved_exactly_once(due_tenders, results, "tender.bidding_opened")


@pytest.mark.django_db(transaction=True)  # the command closes its connection after a tick
def test_run_clock_once_moves_due_tenders(due_tenders):
    with time_machine.travel(due_tenders[0].bid_open_at, tick=False):
        call_command("run_clock", once=True)
    assert set(Tender.objects.values_list("status", flat=True)) == {TenderStatus.BIDDING}


@pytest.mark.django_db
def test_the_celery_clock_task_moves_due_tenders(due_tenders):
    from procurement.tasks import clock_tick as task

    with time_machine.travel(due_tenders[0].bid_open_at, tick=False):
        assert task.delay().get() == len(due_tenders)


@pytest.mark.django_db(transaction=True)
def test_three_run_clock_processes_move_each_tender_once_within_two_seconds(published):
    """Real processes, the production way: each `run_clock` ticks every 0.2 s on the test
    database; every tender due moves exactly once, within 2 s of its time."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection
    from django.utils import timezone

    from procurement.models import ProcedureType

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    root = Path(__file__).resolve().parents[2]
    clocks = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_clock", "--interval", "0.2"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        # Start counting only once every clock ticks: process start-up is not clock latency.
        for process in clocks:
            assert "clock running" in process.stdout.readline()
        quick = ProcedureType.objects.create(
            code="quick-clock",
            name="quick",
            method="lowest_price",
            notice_period_days=0,
            amendment_period_days=0,
        )
        due_at = timezone.now() + timedelta(seconds=3)
        tenders = [
            published(
                procedure=quick,
                questions_close_at=due_at,
                registration_close_at=due_at,
                bid_open_at=due_at,
                bid_close_at=due_at + timedelta(hours=1),
                opening_at=due_at + timedelta(hours=2),
            )
            for _ in range(6)
        ]
        while (
            timezone.now() < due_at + timedelta(seconds=2)
            and Tender.objects.filter(status=TenderStatus.NOTICE).exists()
        ):
            time.sleep(0.05)
        moved_by = timezone.now()
    finally:
        for process in clocks:
            process.terminate()
        errors = [process.communicate(timeout=10)[1] for process in clocks]
    assert not Tender.objects.filter(status=TenderStatus.NOTICE).exists(), errors
    assert moved_by - due_at < timedelta(seconds=2)
    for tender in tenders:
        assert (
            AuditEvent.objects.filter(
                stream=tender_stream(tender.ocid), kind="tender.bidding_opened"
            ).count()
            == 1
        )


@pytest.mark.django_db
def test_the_clock_lifts_ended_debarments_expires_certificates_and_prunes(
    issued, operator, supplier_a
):
    from django.utils import timezone

    from core.live import live_publish
    from esign.models import CertificateStatus
    from procurement.clock import platform_housekeeping
    from suppliers.models import SupplierStatus
    from suppliers.services import supplier_suspend

    _key, certificate, _x509 = issued
    supplier_suspend(
        supplier=supplier_a,
        actor=operator,
        reason="담합",
        until=timezone.localdate() + timedelta(days=1),
    )
    from django.db import transaction

    with transaction.atomic():
        live_publish(topics=["t"], kind="old", payload={})
    later = certificate.not_after + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        done = platform_housekeeping()
    assert done == {
        "debarments_lifted": 1,
        "certificates_expired": 1,
        "external_crls_refreshed": 0,
        "live_events_pruned": 1,
    }
    supplier_a.refresh_from_db()
    certificate.refresh_from_db()
    assert supplier_a.status == SupplierStatus.VERIFIED
    assert certificate.status == CertificateStatus.EXPIRED


@pytest.mark.django_db
def test_a_clock_runner_does_housekeeping_about_once_a_minute(monkeypatch):
    from procurement import clock

    calls = []
    monkeypatch.setattr(clock, "platform_housekeeping", lambda: calls.append(1) or {})
    monkeypatch.setattr(clock, "close_old_connections", lambda: None)  # keep the test's db
    runner = clock.ClockRunner()
    for _ in range(5):
        runner.step()
    assert calls == [1]
