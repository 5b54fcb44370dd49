"""jangteo-client for opening officers, against a real server process: the receiving key
is made and kept on the officer's machine; the share arrives sealed to it and opens there."""

import pytest

from bidding.models import OpeningShare, ShareReceivingKey
from bidding.opening_key import private_key_rebuild
from procurement import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run_client(client_cli, opening_officer):
    return lambda *args: client_cli(opening_officer, *args)


def test_an_officer_registers_a_key_reads_the_share_and_confirms_it(
    run_client, tmp_path, opening_officer, make_draft, officer
):
    result = run_client("receiving-key")
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "home" / "receiving-key.pem"
    assert b"ENCRYPTED" in key_file.read_bytes()
    assert ShareReceivingKey.objects.filter(holder=opening_officer).count() == 1
    assert run_client("receiving-key").returncode == 2  # never overwritten silently

    tender = make_draft(opening_officers=[opening_officer], opening_threshold=1)
    tender = services.tender_publish(tender=tender, actor=officer)

    result = run_client("opening-shares")
    assert result.returncode == 0, result.stderr
    words = next(line.strip() for line in result.stdout.splitlines() if len(line.split()) >= 20)
    key = tender.opening_key
    private_key_rebuild(
        tender=tender.ocid,
        shares=[words],
        wrapped_private_key=bytes(key.wrapped_private_key),
        public_key=bytes(key.public_key),
    )

    result = run_client("opening-shares", "--confirm", tender.ocid)
    assert result.returncode == 0, result.stderr
    share = OpeningShare.objects.get(officer=opening_officer)
    assert share.sealed_share is None
    assert share.received_at is not None
    assert "keeps no copy" in run_client("opening-shares").stdout


def test_a_share_that_asks_nothing_more_is_listed_without_its_words(
    run_client, opening_officer, make_draft, officer
):
    assert run_client("receiving-key").returncode == 0
    tender = make_draft(opening_officers=[opening_officer], opening_threshold=1)
    tender = services.tender_publish(tender=tender, actor=officer)
    services.tender_cancel(tender=tender, actor=officer, reason="예산 삭감")

    result = run_client("opening-shares")
    assert result.returncode == 0, result.stderr
    assert "the tender was cancelled: nothing to open" in result.stdout
    assert not any(len(line.split()) >= 20 for line in result.stdout.splitlines())
