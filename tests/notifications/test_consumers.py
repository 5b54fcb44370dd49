"""The live channels, through the real ASGI application and the configured channel layer
(in-memory on the embedded default, Redis pub/sub in CI)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from procurement import services
from tests.conftest import needs_postgres

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]


async def connect(path: str):
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def receive(communicator, timeout=5):
    return await communicator.receive_json_from(timeout=timeout)


async def test_the_board_says_hello_then_pushes_a_publication(make_draft, officer):
    draft = await database_sync_to_async(make_draft)()
    board, connected, _ = await connect("/ws/tenders/")
    assert connected
    hello = await receive(board)
    assert hello["type"] == "hello"
    assert hello["seq"] == 0
    assert hello["server_time"]

    await database_sync_to_async(services.tender_publish)(tender=draft, actor=officer)

    event = await receive(board)
    assert event["type"] == "event"
    assert (event["kind"], event["seq"]) == ("tender.published", 1)
    assert event["data"]["tender"]["id"] == draft.pk
    assert event["data"]["tender"]["status"] == "notice"
    await board.disconnect()


async def test_a_tender_channel_pushes_its_own_events_only(published, officer):
    watched, other = await database_sync_to_async(lambda: (published(), published()))()
    channel, connected, _ = await connect(f"/ws/tenders/{watched.pk}/")
    assert connected
    assert (await receive(channel))["seq"] == 1  # its publication

    await database_sync_to_async(services.tender_cancel)(tender=other, actor=officer, reason="r")
    await database_sync_to_async(services.tender_cancel)(
        tender=watched, actor=officer, reason="예산"
    )
    event = await receive(channel)
    assert event["kind"] == "tender.cancelled"
    assert event["data"]["tender"]["cancel_reason"] == "예산"
    assert await channel.receive_nothing(timeout=0.3)
    await channel.disconnect()


async def test_a_reconnecting_client_is_replayed_what_it_missed(
    published, officer, bidder_a, company_a
):
    tender = await database_sync_to_async(published)()

    def changes():
        services.question_ask(tender=tender, actor=bidder_a, organisation=company_a, text="q1")
        services.tender_cancel(tender=tender, actor=officer, reason="r")

    await database_sync_to_async(changes)()
    channel, connected, _ = await connect(f"/ws/tenders/{tender.pk}/?since=1")
    assert connected
    hello = await receive(channel)
    assert hello["seq"] == 3
    replayed = [await receive(channel), await receive(channel)]
    assert [(e["seq"], e["kind"]) for e in replayed] == [
        (2, "tender.question_asked"),
        (3, "tender.cancelled"),
    ]
    await channel.disconnect()


async def test_a_client_too_far_behind_gets_a_snapshot(published, officer, settings):
    settings.LIVE_REPLAY_LIMIT = 1
    tender = await database_sync_to_async(published)()
    await database_sync_to_async(services.tender_amend)(
        tender=tender, actor=officer, reason="r", changes={"title": "새 제목"}
    )
    await database_sync_to_async(services.tender_cancel)(tender=tender, actor=officer, reason="r")
    channel, _, _ = await connect(f"/ws/tenders/{tender.pk}/")
    await receive(channel)  # hello
    await channel.send_json_to({"type": "resume", "since": 0})
    snapshot = await receive(channel)
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 3
    assert snapshot["data"]["tender"]["title"] == "새 제목"
    assert snapshot["data"]["tender"]["status"] == "cancelled"
    await channel.disconnect()


async def test_ping_gets_the_server_time(published):
    tender = await database_sync_to_async(published)()
    channel, _, _ = await connect(f"/ws/tenders/{tender.pk}/")
    await receive(channel)
    await channel.send_json_to({"type": "ping"})
    assert (await receive(channel))["type"] == "pong"
    await channel.send_to(text_data="not json")
    await channel.send_json_to({"type": "resume", "since": "x"})
    assert await channel.receive_nothing(timeout=0.3)
    await channel.disconnect()


async def test_a_draft_or_unknown_tender_has_no_public_channel(make_draft):
    draft = await database_sync_to_async(make_draft)()
    for path in (f"/ws/tenders/{draft.pk}/", "/ws/tenders/999999/"):
        communicator, connected, code = await connect(path)
        assert not connected
        assert code == 4404


async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/tenders/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_many_watchers_of_one_tender_all_get_the_change(published, officer):
    tender = await database_sync_to_async(published)()
    watchers = []
    for _ in range(25):
        communicator, connected, _ = await connect(f"/ws/tenders/{tender.pk}/")
        assert connected
        await receive(communicator)
        watchers.append(communicator)
    await database_sync_to_async(services.tender_cancel)(tender=tender, actor=officer, reason="r")
    events = await asyncio.gather(*(receive(w) for w in watchers))
    assert {e["kind"] for e in events} == {"tender.cancelled"}
    await asyncio.gather(*(w.disconnect() for w in watchers))


async def test_watchers_of_a_topic_share_one_subscription_released_by_the_last(published):
    from notifications.hub import hub

    tender = await database_sync_to_async(published)()
    topic = f"tender.{tender.pk}"
    watchers = []
    for _ in range(5):
        communicator, _, _ = await connect(f"/ws/tenders/{tender.pk}/")
        await receive(communicator)
        watchers.append(communicator)
    assert len(hub().watchers[topic]) == 5
    assert topic in hub().listeners
    for communicator in watchers:
        await communicator.disconnect()
    assert topic not in hub().listeners
    assert topic not in hub().watchers


async def test_pong_tells_the_current_number_so_a_lost_last_push_is_noticed(published, officer):
    tender = await database_sync_to_async(published)()
    channel, _, _ = await connect(f"/ws/tenders/{tender.pk}/")
    assert (await receive(channel))["seq"] == 1
    await database_sync_to_async(services.tender_cancel)(tender=tender, actor=officer, reason="r")
    await receive(channel)  # the push
    await channel.send_json_to({"type": "ping"})
    pong = await receive(channel)
    assert (pong["type"], pong["seq"]) == ("pong", 2)
    await channel.disconnect()


async def test_a_client_ahead_of_the_server_is_sent_a_snapshot(published):
    tender = await database_sync_to_async(published)()
    channel, _, _ = await connect(f"/ws/tenders/{tender.pk}/?since=99")
    assert (await receive(channel))["type"] == "hello"
    snapshot = await receive(channel)
    assert (snapshot["type"], snapshot["seq"]) == ("snapshot", 1)
    await channel.disconnect()


async def test_the_hub_renews_a_group_membership_the_layer_let_expire(
    published, officer, monkeypatch
):
    from channels.layers import get_channel_layer

    from core.live import group_name
    from notifications import hub as hub_module

    monkeypatch.setattr(hub_module, "GROUP_REFRESH_SECONDS", 0.1)
    tender = await database_sync_to_async(published)()
    channel, _, _ = await connect(f"/ws/tenders/{tender.pk}/")
    await receive(channel)
    topic = f"tender.{tender.pk}"
    hub_channel = hub_module.hub().listeners[topic][0]
    await get_channel_layer().group_discard(group_name(topic), hub_channel)  # as on expiry
    await asyncio.sleep(0.4)
    await database_sync_to_async(services.tender_cancel)(tender=tender, actor=officer, reason="r")
    assert (await receive(channel))["kind"] == "tender.cancelled"
    await channel.disconnect()


@needs_postgres("the database server's clock")
async def test_channels_work_when_the_database_clock_decides(published, settings):
    settings.AUTHORITATIVE_CLOCK = "database"
    tender = await database_sync_to_async(published)()
    channel, connected, _ = await connect(f"/ws/tenders/{tender.pk}/")
    assert connected
    hello = await receive(channel)
    assert hello["server_time"]
    await channel.send_json_to({"type": "ping"})
    assert (await receive(channel))["type"] == "pong"
    await channel.disconnect()
