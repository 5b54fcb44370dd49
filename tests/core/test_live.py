import pytest
from django.db import transaction

from core.live import events_since, live_publish, topic_head
from core.models import LiveEvent


@pytest.mark.django_db
class TestLivePublish:
    def test_each_topic_numbers_its_events_from_one(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks():
            live_publish(topics=["board", "tender.1"], kind="k", payload={"a": 1})
            live_publish(topics=["board"], kind="k", payload={"a": 2})
        assert list(LiveEvent.objects.filter(topic="board").values_list("seq", flat=True)) == [1, 2]
        assert topic_head("tender.1") == 1
        assert topic_head("tender.2") == 0

    def test_the_push_waits_for_the_commit(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            live_publish(topics=["board"], kind="k", payload={})
            assert LiveEvent.objects.count() == 1
        assert len(callbacks) == 1

    def test_a_rolled_back_change_publishes_nothing(self, django_capture_on_commit_callbacks):
        def change_then_fail():
            with transaction.atomic():
                live_publish(topics=["board"], kind="k", payload={})
                raise ZeroDivisionError

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ZeroDivisionError):
            change_then_fail()
        assert callbacks == []
        assert not LiveEvent.objects.exists()
        assert topic_head("board") == 0


@pytest.mark.django_db
class TestReplay:
    def publish(self, n):
        for i in range(n):
            with transaction.atomic():
                live_publish(topics=["t"], kind="k", payload={"i": i})

    def test_a_client_behind_is_replayed_what_it_missed(self):
        self.publish(5)
        assert [e.seq for e in events_since("t", 2, limit=10)] == [3, 4, 5]
        assert events_since("t", 5, limit=10) == []

    def test_a_client_too_far_behind_must_take_a_snapshot(self):
        self.publish(5)
        assert events_since("t", 0, limit=3) is None

    def test_a_client_whose_events_were_pruned_must_take_a_snapshot(self):
        self.publish(5)
        LiveEvent.objects.filter(topic="t", seq__lte=2).delete()
        assert events_since("t", 1, limit=10) is None


@pytest.mark.django_db
class TestReplayEdges:
    def publish(self, n):
        for i in range(n):
            with transaction.atomic():
                live_publish(topics=["t"], kind="k", payload={"i": i})

    def test_a_client_ahead_of_the_server_must_take_a_snapshot(self):
        self.publish(2)
        assert events_since("t", 5, limit=10) is None

    def test_a_client_behind_whose_every_missed_event_was_pruned_gets_a_snapshot(self):
        self.publish(3)
        LiveEvent.objects.filter(topic="t").delete()
        assert events_since("t", 1, limit=10) is None
        assert events_since("t", 3, limit=10) == []
