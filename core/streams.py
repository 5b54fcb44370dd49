"""Allocating the next position of a stream, in order, under a row lock on its head."""

from django.db import IntegrityError, transaction

from .models import StreamHead


def stream_advance(name: str) -> StreamHead:
    """Lock the head of stream `name`, creating it on first use, and move it one position on.

    Must run inside the caller's transaction: the lock is held until that commits, so the
    next writer of the same stream waits and sees this position; other streams are untouched.
    The caller stores `head.last_hash` itself when the stream is hash-chained.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stream_advance() must run inside transaction.atomic()")
    head = StreamHead.objects.select_for_update().filter(name=name).first()
    if head is None:
        try:
            with transaction.atomic():
                head = StreamHead.objects.create(name=name)
        except IntegrityError:
            pass  # a concurrent first writer created it: lock theirs
        head = StreamHead.objects.select_for_update().get(name=name)
    head.position += 1
    return head
