from celery import shared_task

from .models import OpeningKey
from .opening import envelopes_open, openings_resume


@shared_task(name="bidding.tasks.opening_run", ignore_result=True)
def opening_run(tender_id: int) -> bool:
    """Open a tender's envelopes once its key is rebuilt (enqueued at the k-th share)."""
    key = OpeningKey.objects.filter(tender_id=tender_id).values_list("pk", flat=True).first()
    return bool(key) and envelopes_open(opening_key_id=key)


@shared_task(name="bidding.tasks.openings_resume", ignore_result=True)
def openings_resume_task() -> int:
    return openings_resume()
