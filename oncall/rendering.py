"""What a message says: built once into a JSON payload when its group goes out, rendered from
that payload on every attempt (so a re-send is the same message).

Made for a phone: the title carries severity, what happened and where; the body lists each
fault (severity, host, counts, first and latest sample, link), the incident and its top cause,
and for a resolved fault how long it lasted. Log text is hostile: the HTML form escapes every
value (``html.escape``), the text form is handed to apprise as plain text, which escapes it
for each service's markup.
"""

import html
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.dateparse import parse_datetime

SAMPLE_CHARS = 300

SEVERITY_ORDER = ("critical", "major", "minor", "warning", "info")

EVENT_WORDS = {
    "opened": "opened",
    "regressed": "regressed",
    "severity_raised": "severity raised",
    "repeat": "still open",
    "resolved": "resolved",
}


def portal_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def fault_url(fault_id: int) -> str:
    return portal_url(f"/dashboard/faults/{fault_id}/")


def incident_url(incident_id: int) -> str:
    return portal_url(f"/admin/diagnosis/incident/{incident_id}/change/")


def duration_words(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _clip(text: str, limit: int = SAMPLE_CHARS) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fault_entry(*, event: str, fault, changed_at: datetime) -> dict:
    """One fault as a message lists it (from its FaultRecord, read when the group goes out)."""
    entry = {
        "fault_id": fault.pk,
        "event": event,
        "title": fault.title,
        "severity": fault.severity,
        "status": fault.status,
        "host": fault.host,
        "type": fault.fault_type.code,
        "incident_id": fault.incident_id,
        "occurrences": fault.occurrences,
        "first_seen": _iso(fault.first_seen),
        "last_seen": _iso(fault.last_seen),
        "first_sample": _clip(fault.first_sample),
        "latest_sample": _clip(fault.latest_sample),
        "changed_at": _iso(changed_at),
        "url": fault_url(fault.pk),
    }
    if event == "resolved":
        started = fault.regressed_at if fault.is_regression and fault.regressed_at else None
        started = started or fault.first_seen
        ended = fault.resolved_at or changed_at
        if started and ended:
            entry["lasted_seconds"] = max(int((ended - started).total_seconds()), 0)
            entry["resolved_at"] = _iso(ended)
    return entry


def _top_severity(entries: list[dict]) -> str:
    ranks = [
        SEVERITY_ORDER.index(e["severity"]) for e in entries if e["severity"] in SEVERITY_ORDER
    ]
    return SEVERITY_ORDER[min(ranks)] if ranks else "info"


def message_payload(
    *, entries: list[dict], incident: dict | None, kind: str = "group", overflow_of: int = 0
) -> dict:
    """The message's content: title, counts, hosts, the incident, the first faults and the rest
    as a count ("… and 40 more")."""
    limit = settings.NOTIFICATION_MESSAGE_MAX_FAULTS
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["event"]] = counts.get(entry["event"], 0) + 1
    events = sorted(counts, key=lambda e: -counts[e])
    event = events[0] if len(events) == 1 else "mixed"
    severity = _top_severity(entries)
    hosts = sorted({e["host"] for e in entries if e["host"]})
    # Most severe first, then newest change: what the engineer should look at first.
    ordered = sorted(
        entries,
        key=lambda e: (
            SEVERITY_ORDER.index(e["severity"]) if e["severity"] in SEVERITY_ORDER else 9,
            e["event"] == "resolved",
            -(parse_datetime(e["changed_at"]).timestamp() if e.get("changed_at") else 0),
        ),
    )
    payload = {
        "kind": kind,
        "event": event,
        "severity": severity,
        "counts": {"faults": len(entries), **counts},
        "hosts": hosts[:50],
        "host_count": len(hosts),
        "incident": incident,
        "faults": ordered[:limit],
        "more": max(len(entries) - limit, 0),
        # One fault: its page; several: their incident's, else the dashboard.
        "url": (
            ordered[0]["url"]
            if len(ordered) == 1
            else incident["url"]
            if incident
            else portal_url("/dashboard/")
        ),
        # Alertmanager gets every fault (it groups and deduplicates them itself).
        "all_faults": [_alert_fields(e) for e in ordered],
    }
    if overflow_of:
        payload["held_groups"] = overflow_of
    payload["title"] = message_title(payload)
    return payload


def _alert_fields(entry: dict) -> dict:
    keep = ("fault_id", "event", "title", "severity", "host", "type", "incident_id")
    return {k: entry.get(k) for k in keep} | {
        "first_seen": entry.get("first_seen"),
        "changed_at": entry.get("changed_at"),
        "resolved_at": entry.get("resolved_at"),
        "latest_sample": entry.get("latest_sample", "")[:200],
        "url": entry.get("url"),
    }


def message_title(payload: dict) -> str:
    faults = payload["faults"]
    n = payload["counts"]["faults"]
    severity = payload["severity"].upper()
    if payload["kind"] == "test":
        return "[TEST] faultportal: this channel works"
    prefix = "[RATE LIMIT] " if payload["kind"] == "overflow" else ""
    if n == 1 and faults:
        fault = faults[0]
        where = (
            f" on {fault['host']}" if fault["host"] and fault["host"] not in fault["title"] else ""
        )
        if fault["event"] == "resolved":
            lasted = fault.get("lasted_seconds")
            took = f" after {duration_words(lasted)}" if lasted is not None else ""
            return _cut(f"{prefix}[RESOLVED] {fault['title']}{where}{took}")
        return _cut(
            f"{prefix}[{severity}] {EVENT_WORDS.get(fault['event'], fault['event'])}: "
            f"{fault['title']}{where}"
        )
    counts = payload["counts"]
    parts = [f"{counts[e]} {EVENT_WORDS.get(e, e)}" for e in EVENT_WORDS if counts.get(e)]
    what = f"{n} faults: " + ", ".join(parts)
    where = ""
    if payload.get("incident"):
        where = f" — {payload['incident']['title']}"
    elif payload["host_count"]:
        shown = ", ".join(payload["hosts"][:3])
        extra = payload["host_count"] - 3
        where = f" on {shown}" + (f" (+{extra})" if extra > 0 else "")
    return _cut(f"{prefix}[{severity}] {what}{where}")


def _cut(text: str, limit: int = 250) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fault_lines(fault: dict) -> list[str]:
    event = EVENT_WORDS.get(fault["event"], fault["event"])
    head = f"• [{fault['severity']}] {fault['title']} ({event})"
    facts = []
    if fault["host"]:
        facts.append(f"host {fault['host']}")
    facts.append(f"type {fault['type']}")
    facts.append(f"{fault['occurrences']} occurrence{'s' if fault['occurrences'] != 1 else ''}")
    if fault.get("lasted_seconds") is not None:
        facts.append(f"lasted {duration_words(fault['lasted_seconds'])}")
    lines = [head, "  " + " · ".join(facts)]
    if fault.get("first_seen"):
        lines.append(f"  first seen {fault['first_seen']} · latest {fault['last_seen']}")
    if fault.get("first_sample"):
        lines.append(f"  first: {fault['first_sample']}")
    if fault.get("latest_sample") and fault["latest_sample"] != fault.get("first_sample"):
        lines.append(f"  latest: {fault['latest_sample']}")
    lines.append(f"  {fault['url']}")
    return lines


def message_text(payload: dict) -> str:
    """Plain text (chat, webhooks): apprise escapes it for the service's markup."""
    if payload["kind"] == "test":
        return payload.get("text", "A test message from faultportal.")
    lines = []
    if payload["kind"] == "overflow":
        lines.append(
            f"The channel's rate limit was reached: {payload.get('held_groups', 0)} groups of "
            "changes are summed up here."
        )
    counts = payload["counts"]
    lines.append(
        f"{payload['severity'].upper()} · {counts['faults']} fault"
        f"{'s' if counts['faults'] != 1 else ''} on {payload['host_count']} host"
        f"{'s' if payload['host_count'] != 1 else ''}"
    )
    incident = payload.get("incident")
    if incident:
        lines.append(f"Incident #{incident['id']}: {incident['title']}")
        if incident.get("top_cause"):
            lines.append(f"Top cause: {incident['top_cause']}")
    lines.append("")
    for fault in payload["faults"]:
        lines += _fault_lines(fault)
    if payload["more"]:
        lines.append(f"… and {payload['more']} more")
    lines += ["", f"Open: {payload['url']}"]
    return "\n".join(lines)


def message_html(payload: dict) -> str:
    """HTML (e-mail): every value escaped; links only to the portal."""
    e = html.escape
    if payload["kind"] == "test":
        return f"<p>{e(payload.get('text', 'A test message from faultportal.'))}</p>"
    out = ['<div style="font-family:sans-serif;font-size:14px">']
    if payload["kind"] == "overflow":
        out.append(
            f"<p><b>The channel's rate limit was reached</b>: {int(payload.get('held_groups', 0))} "
            "groups of changes are summed up here.</p>"
        )
    counts = payload["counts"]
    out.append(
        f"<p><b>{e(payload['severity'].upper())}</b> · {int(counts['faults'])} fault(s) on "
        f"{int(payload['host_count'])} host(s): {e(', '.join(payload['hosts'][:10]))}</p>"
    )
    incident = payload.get("incident")
    if incident:
        out.append(
            f'<p>Incident <a href="{e(incident["url"])}">#{int(incident["id"])}</a>: '
            f"{e(incident['title'])}</p>"
        )
        if incident.get("top_cause"):
            out.append(f"<p>Top cause: <b>{e(incident['top_cause'])}</b></p>")
    out.append("<ul>")
    for fault in payload["faults"]:
        event = EVENT_WORDS.get(fault["event"], fault["event"])
        facts = [f"type {e(fault['type'])}", f"{int(fault['occurrences'])} occurrence(s)"]
        if fault["host"]:
            facts.insert(0, f"host <b>{e(fault['host'])}</b>")
        if fault.get("lasted_seconds") is not None:
            facts.append(f"lasted {e(duration_words(fault['lasted_seconds']))}")
        item = [
            f'<li><a href="{e(fault["url"])}">[{e(fault["severity"])}] {e(fault["title"])}</a>'
            f" ({e(event)})<br>{' · '.join(facts)}"
        ]
        if fault.get("first_seen"):
            item.append(
                f"<br>first seen {e(fault['first_seen'])} · latest {e(fault['last_seen'] or '')}"
            )
        if fault.get("first_sample"):
            item.append(f"<br>first: <code>{e(fault['first_sample'])}</code>")
        if fault.get("latest_sample") and fault["latest_sample"] != fault.get("first_sample"):
            item.append(f"<br>latest: <code>{e(fault['latest_sample'])}</code>")
        out.append("".join(item) + "</li>")
    out.append("</ul>")
    if payload["more"]:
        out.append(f"<p>… and {int(payload['more'])} more</p>")
    out.append(f'<p><a href="{e(payload["url"])}">Open in faultportal</a></p></div>')
    return "\n".join(out)


def alertmanager_alerts(payload: dict) -> list[dict]:
    """Alertmanager's /api/v2/alerts body: one alert per fault, labels host, type, severity,
    incident; startsAt the fault's first sighting; endsAt its resolution, or ahead while open."""
    alerts = []
    ahead = timedelta(seconds=settings.NOTIFICATION_ALERTMANAGER_ENDS_AFTER_SECONDS)
    if payload.get("kind") == "test":
        now = datetime.now().astimezone()
        return [
            {
                "labels": {"alertname": "faultportal_test", "severity": "info"},
                "annotations": {"summary": payload.get("text", "")},
                "startsAt": _iso(now),
                "endsAt": _iso(now + timedelta(minutes=5)),
                "generatorURL": payload.get("url", ""),
            }
        ]
    for fault in payload.get("all_faults", []):
        labels = {
            "alertname": f"faultportal_{fault['type']}",
            "host": fault["host"] or "",
            "type": fault["type"],
            "severity": fault["severity"],
            "fault_id": str(fault["fault_id"]),
        }
        if fault.get("incident_id"):
            labels["incident"] = str(fault["incident_id"])
        labels = {k: v for k, v in labels.items() if v}
        starts = fault.get("first_seen") or fault.get("changed_at")
        if fault["event"] == "resolved":
            ends = fault.get("resolved_at") or fault.get("changed_at")
        else:
            changed = parse_datetime(fault["changed_at"]) if fault.get("changed_at") else None
            ends = _iso((changed or datetime.now().astimezone()) + ahead)
        alerts.append(
            {
                "labels": labels,
                "annotations": {
                    "summary": fault["title"],
                    "description": fault.get("latest_sample") or "",
                    "event": fault["event"],
                },
                "startsAt": starts,
                "endsAt": ends,
                "generatorURL": fault["url"],
            }
        )
    return alerts
