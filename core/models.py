"""The kernel's tables: stream heads, the append-only audit log, and the public live events.

Both the audit log and the live events are *streams*: ordered by a per-stream position that
is allocated under a row lock on the stream's head, so positions commit in order and a hot
tender never serialises another tender's writes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StreamHead(models.Model):
    """The last position (and, for audit streams, the last hash) of one stream."""

    name = models.CharField(max_length=120, primary_key=True)
    position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEvent(models.Model):
    """One entry of an append-only, hash-chained audit stream.

    `hash` = SHA-256 over the canonical JSON of every other field plus the previous event's
    hash (see `core.audit.event_digest`), so a changed, removed or reordered event breaks the
    chain at the place it happened. The actor is stored by value, not by foreign key: the log
    must outlive and not depend on the rows it talks about.
    """

    stream = models.CharField(max_length=120)
    position = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=80)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True, default="")
    object_type = models.CharField(max_length=80, blank=True, default="")
    object_id = models.CharField(max_length=80, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "position"], name="audit_stream_position"),
        ]
        ordering = ["stream", "position"]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"{self.stream}#{self.position} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class LiveEvent(models.Model):
    """A public live event, kept so that a client that missed pushes can be replayed them.

    `topic` is a public channel (`board`, `tender.<id>`); `seq` increases by one per topic.
    Only public data goes in `payload`: this table is served to anyone who asks.
    """

    topic = models.CharField(max_length=80)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "seq"], name="live_topic_seq")]
        ordering = ["topic", "seq"]

    def __str__(self) -> str:
        return f"{self.topic}#{self.seq} {self.kind}"

    def as_message(self) -> dict:
        return {"topic": self.topic, "seq": self.seq, "kind": self.kind, "data": self.payload}
