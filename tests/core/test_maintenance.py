from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.live import events_since, live_publish
from core.models import LiveEvent

pytestmark = pytest.mark.django_db


def test_old_live_events_are_pruned_and_a_client_that_far_behind_gets_a_snapshot(capsys):
    start = timezone.now()
    with time_machine.travel(start, tick=False), transaction.atomic():
        live_publish(topics=["t"], kind="old", payload={})
    with time_machine.travel(start + timedelta(days=40), tick=False):
        with transaction.atomic():
            live_publish(topics=["t"], kind="new", payload={})
        call_command("prune_live_events", days=30)
    assert list(LiveEvent.objects.values_list("kind", flat=True)) == ["new"]
    assert "deleted 1" in capsys.readouterr().out
    assert events_since("t", 0, limit=10) is None
    assert [e.kind for e in events_since("t", 1, limit=10)] == ["new"]
