"""One incident's page: its cause named, its faults (symptoms marked), where, since when, its
diagnosis, and links into the log explorer and the fault and host pages.

Queries (pinned in tests/dashboard/test_incident_page.py): the incident, its faults with their
types (diagnosis.selectors.incident_detail), a diagnosis still waiting for the worker, the
silences in force on it (oncall.silences). Everything else is built from those rows.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils.http import urlencode

from dashboard.pages.fault import diagnosis_view
from dashboard.pages.logs import log_explorer_url
from diagnosis.selectors import diagnosis_pending_latest, incident_detail
from oncall.silences import ONE_CLICK, incident_silences

# The explorer's window around the incident: a little before its first and after its last line.
EXPLORE_MARGIN = timedelta(minutes=5)


def incident_links(incident, hosts: list[str]) -> dict:
    window = {
        "from_": incident.first_seen - EXPLORE_MARGIN,
        "to": incident.last_seen + EXPLORE_MARGIN,
    }
    changelist = reverse("admin:diagnosis_faultrecord_changelist")
    return {
        "change": reverse("admin:diagnosis_incident_change", args=[incident.pk]),
        # Its faults in the admin list: their bulk actions acknowledge, resolve, diagnose.
        "faults": f"{changelist}?{urlencode({'incident': incident.pk})}",
        # Every affected host's WARN and above over the incident's window.
        "explore": log_explorer_url(level="WARN", **window),
        "hosts": [
            {
                "host": host,
                "page": reverse("dashboard-host", args=[host]),
                "explore": log_explorer_url(host=host, level="WARN", **window),
            }
            for host in hosts
        ],
        # Whether a peer still logs says host down or path broken: its own lines, any level.
        "peers": [
            {**peer, "explore": log_explorer_url(host=peer["host"], **window)}
            for peer in _distinct_peers(incident.peers)
        ],
    }


def _distinct_peers(peers: list[dict]) -> list[dict]:
    """One entry per peer host, its ports and roles listed: master1 — 9000 (NameNode RPC), …"""
    merged: dict[str, dict] = {}
    for peer in peers or []:
        host = str(peer.get("host") or "")
        if not host:
            continue
        entry = merged.setdefault(host, {"host": host, "ports": []})
        port = f"{peer.get('port')}" + (f" ({peer['role']})" if peer.get("role") else "")
        if port not in entry["ports"]:
            entry["ports"].append(port)
    return list(merged.values())


def incident_page(*, incident_id: int) -> dict:
    """The page's content; Incident.DoesNotExist when there is no such incident."""
    detail = incident_detail(incident_id=incident_id)
    incident = detail.incident
    hosts = list(incident.hosts or [])
    for fault in detail.faults:  # a member's host the incident's list lacks still gets a link
        if fault.host and fault.host not in hosts:
            hosts.append(fault.host)
    window = {
        "from_": incident.first_seen - EXPLORE_MARGIN,
        "to": incident.last_seen + EXPLORE_MARGIN,
    }
    faults = [
        {
            "fault": fault,
            "url": reverse("dashboard-fault", args=[fault.pk]),
            "host_url": reverse("dashboard-host", args=[fault.host]) if fault.host else "",
            "explore": log_explorer_url(
                host=fault.host,
                level="WARN",
                from_=fault.first_seen - EXPLORE_MARGIN,
                to=fault.last_seen + EXPLORE_MARGIN,
            )
            if fault.host
            else log_explorer_url(level="WARN", **window),
        }
        for fault in detail.faults
    ]
    cause = next((f for f in faults if f["fault"].pk == incident.cause_fault_id), None)
    return {
        "incident": incident,
        "cause": cause,
        "faults": faults,
        "causes": [f for f in faults if not f["fault"].is_symptom],
        "symptoms": [f for f in faults if f["fault"].is_symptom],
        "hosts": hosts,
        "components": list(incident.components or []),
        "diagnosis": diagnosis_view(incident.diagnosis),
        "pending_diagnosis": diagnosis_pending_latest(incident_id=incident.pk),
        "links": {
            **incident_links(incident, hosts),
            "silence": reverse("dashboard-incident-silence", args=[incident.pk]),
        },
        "silences": [
            {"silence": silence, "url": reverse("admin:oncall_silence_change", args=[silence.pk])}
            for silence in incident_silences(incident=incident)
        ],
        "one_click_hours": int(ONE_CLICK.total_seconds() // 3600),
    }
