"""A child process for the live notification tests: its own Django on the scratch database.

    python tests/oncall/live_actions.py configure '<json args>'   channels and rules
    python tests/oncall/live_actions.py open '<json args>'        open faults (one per host)
    python tests/oncall/live_actions.py state                     JSON: messages, deliveries

DATABASE_URL comes from the environment (the test's scratch database, never the proxy's).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faultportal.settings")


def configure(args: dict) -> dict:
    from oncall.services import channel_create, rule_create

    made = {}
    for name, url in args["channels"].items():
        channel = channel_create(name=name, url=url)
        rule_create(
            channel=channel,
            host_glob=args.get("host_glob", ""),
            group_wait_seconds=args.get("group_wait", 0),
            group_interval_seconds=0,
        )
        made[name] = channel.pk
    return made


def open_faults(args: dict) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from diagnosis.models import FaultType
    from diagnosis.services import Occurrence, fault_occurrences_record

    fault_type = FaultType.objects.get(code="too_many_open_files")
    ids = []
    for i in range(args["count"]):
        host = f"{args['prefix']}{i:03d}.example.com"
        occurrence = Occurrence(
            fault_type=fault_type,
            fingerprint=f"live-{args['prefix']}-{i}",
            host=host,
            title=f"Too many open files on {host}",
            seen_at=timezone.now() - timedelta(minutes=1),
            sample="java.io.IOException: Too many open files",
        )
        ids.append(fault_occurrences_record(occurrences=[occurrence])[0].pk)
    return {"faults": ids}


def state(args: dict) -> dict:
    from oncall.models import NotificationDelivery, NotificationMessage, OutboxEntry

    return {
        "messages": {
            m.idempotency_key: {"status": m.status, "attempts": m.attempts, "channel": m.channel_id}
            for m in NotificationMessage.objects.all()
        },
        "deliveries": [
            {
                "key": d.idempotency_key,
                "status": d.status,
                "attempt": d.attempt,
                "worker": d.worker_id,
            }
            for d in NotificationDelivery.objects.order_by("id")
        ],
        "outbox_pending": OutboxEntry.objects.filter(status="pending").count(),
    }


if __name__ == "__main__":
    import django

    django.setup()
    action = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = {"configure": configure, "open": open_faults, "state": state}[action](args)
    print(json.dumps(result))
