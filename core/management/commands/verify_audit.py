import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_streams, verify_chain, verify_stream


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit log (every stream, one stream, or a "
        "downloaded stream file). Exits 1 naming the stream and position of the first "
        "changed, removed or reordered event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stream", help="verify only this stream (e.g. tender:<ocid>)")
        parser.add_argument(
            "--file", type=Path, help="verify a stream downloaded from /api/v1/tenders/<id>/audit/"
        )

    def handle(self, *args, stream=None, file=None, **options):
        if file is not None:
            try:
                document = json.loads(file.read_text())
                name, events = document["stream"], document["events"]
                head = document.get("head") or {}
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise CommandError(f"cannot read {file}: {error}") from error
            breaks = [verify_chain(name, events, head.get("position"), head.get("hash"))]
            checked = {name: len(events)}
        else:
            streams = [stream] if stream else audit_streams()
            breaks = [verify_stream(name) for name in streams]
            checked = dict.fromkeys(streams)
        broken = [b for b in breaks if b is not None]
        for chain_break in broken:
            self.stderr.write(f"BROKEN {chain_break}")
        if broken:
            raise CommandError(
                f"{len(broken)} of {len(checked)} audit stream(s) are broken", returncode=1
            )
        self.stdout.write(f"OK: {len(checked)} audit stream(s) intact")
