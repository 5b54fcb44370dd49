import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.audit import (
    PLATFORM_STREAM,
    Entry,
    audit_head,
    audit_record,
    audit_record_many,
    event_as_dict,
    tender_stream,
    verify_chain,
    verify_stream,
)
from core.models import AppendOnlyError, AuditEvent


def record(stream, n, actor=None):
    with transaction.atomic():
        return [
            audit_record(stream=stream, kind="test.event", actor=actor, data={"n": i})
            for i in range(n)
        ]


def tamper(sql: str, params=()) -> None:
    """Change the table behind the application's back, as a database administrator could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # triggers off
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute(sql, params)
            cursor.execute(
                "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON "
                "core_auditevent BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
            )


@pytest.mark.django_db
class TestChain:
    def test_events_are_chained_in_order_per_stream(self):
        events = record("s1", 3)
        record("s2", 2)
        assert [e.position for e in events] == [1, 2, 3]
        assert events[1].prev_hash == events[0].hash
        assert events[2].prev_hash == events[1].hash
        assert AuditEvent.objects.get(stream="s2", position=1).prev_hash == "0" * 64
        assert verify_stream("s1") is None
        assert verify_stream("s2") is None

    def test_the_orm_refuses_to_change_or_delete_an_event(self):
        event = record("s", 1)[0]
        event.kind = "changed"
        with pytest.raises(AppendOnlyError):
            event.save()
        with pytest.raises(AppendOnlyError):
            event.delete()

    def test_the_database_refuses_an_update(self):
        record("s", 1)
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(stream="s").update(kind="changed")

    def test_a_changed_event_is_detected_at_its_position(self):
        record("s", 4)
        tamper(
            "UPDATE core_auditevent SET data = %s WHERE stream = 's' AND position = 2",
            [json.dumps({"n": 99})],
        )
        chain_break = verify_stream("s")
        assert chain_break.position == 2
        assert "changed" in chain_break.reason

    def test_a_deleted_event_is_detected(self):
        record("s", 4)
        tamper("DELETE FROM core_auditevent WHERE stream = 's' AND position = 3")
        chain_break = verify_stream("s")
        assert chain_break.position == 3

    def test_an_event_cut_off_the_end_is_detected_by_the_head(self):
        record("s", 4)
        tamper("DELETE FROM core_auditevent WHERE stream = 's' AND position = 4")
        chain_break = verify_stream("s")
        assert chain_break.position == 4
        assert "head" in chain_break.reason

    def test_reordered_events_are_detected(self):
        record("s", 3)
        events = [event_as_dict(e) for e in AuditEvent.objects.filter(stream="s")]
        swapped = [events[0], events[2], events[1]]
        assert verify_chain("s", swapped).position == 2

    def test_renumbered_events_are_detected(self):
        record("s", 3)
        events = [event_as_dict(e) for e in AuditEvent.objects.filter(stream="s")]
        events[1]["position"], events[2]["position"] = 3, 2
        events[1], events[2] = events[2], events[1]
        assert verify_chain("s", events) is not None


@pytest.mark.django_db
class TestManyAtOnce:
    def test_they_are_the_events_recorded_one_by_one(self, settings):
        import time_machine
        from django.utils import timezone

        settings.AUTHORITATIVE_CLOCK = "local"  # a clock the test can hold still
        entries = [Entry(kind="test.event", data={"n": n}) for n in range(3)]
        with time_machine.travel(timezone.now(), tick=False):
            with transaction.atomic():
                one_by_one = [
                    event_as_dict(audit_record(stream="s", kind=entry.kind, data=entry.data))
                    for entry in entries
                ]
                transaction.set_rollback(True)
            with transaction.atomic():
                at_once = [event_as_dict(e) for e in audit_record_many(stream="s", entries=entries)]
        assert at_once == one_by_one
        assert [event["position"] for event in at_once] == [1, 2, 3]
        assert verify_stream("s") is None

    def test_the_chain_goes_on_before_and_after_them(self):
        record("s", 1)
        with transaction.atomic():
            events = audit_record_many(
                stream="s", entries=[Entry(kind="test.many", data={"n": n}) for n in range(3)]
            )
        record("s", 1)
        assert [e.position for e in events] == [2, 3, 4]
        assert all(e.pk for e in events)
        assert list(AuditEvent.objects.filter(stream="s").values_list("position", flat=True)) == [
            1, 2, 3, 4, 5
        ]  # fmt: skip
        assert audit_head("s").position == 5
        assert verify_stream("s") is None

    def test_none_records_nothing(self):
        with transaction.atomic():
            assert audit_record_many(stream="s", entries=[]) == []
        assert not AuditEvent.objects.filter(stream="s").exists()


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit_record(stream="s", kind="x")
    with pytest.raises(RuntimeError):
        audit_record_many(stream="s", entries=[Entry(kind="x")])
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
class TestVerifyCommand:
    def test_exits_zero_on_an_intact_log(self, capsys):
        record(PLATFORM_STREAM, 2)
        record(tender_stream("ocds-x-1"), 3)
        call_command("verify_audit")
        assert "OK: 2 audit stream(s) intact" in capsys.readouterr().out

    def test_exits_non_zero_naming_stream_and_position(self, capsys):
        record(tender_stream("ocds-x-1"), 3)
        tamper("UPDATE core_auditevent SET kind = 'forged' WHERE position = 2")
        with pytest.raises(CommandError) as error:
            call_command("verify_audit")
        assert error.value.returncode == 1
        assert "stream 'tender:ocds-x-1' position 2" in capsys.readouterr().err

    def test_verifies_a_downloaded_file(self, tmp_path, capsys):
        events = record("s", 3)
        document = {
            "stream": "s",
            "head": {"position": 3, "hash": events[-1].hash},
            "events": [event_as_dict(e) for e in events],
        }
        path = tmp_path / "audit.json"
        path.write_text(json.dumps(document))
        call_command("verify_audit", file=path)
        document["events"][0]["data"]["n"] = 7
        path.write_text(json.dumps(document))
        with pytest.raises(CommandError):
            call_command("verify_audit", file=path)
        assert "position 1" in capsys.readouterr().err
