"""The failures on-call meets most, in the wordings and levels Hadoop logs them
(docs/hadoop-messages.md), and what each fault is about (FaultType.subject) for incidents.

- A peer that cannot be reached is named by what happened: no route to host, connection refused
  (rpc_connection_refused, renamed: it no longer claims no-route lines), socket and connect
  timeouts, a name that does not resolve, an address that resolves differently, connection
  attempts retried again and again (ipc.Client logs those at INFO).
- What an unreachable NameNode or ResourceManager causes on the client: the lease renewer's
  "Failed to renew lease" (split out of hdfs_lease_expired, whose concurrent-writer causes do not
  apply to it) and the MapReduce ApplicationMaster's "ERROR IN CONTACTING RM." Both list the
  peer types as precursors, so an incident shows them as symptoms of the unreachable peer.
- A daemon exiting (ExitUtil, logged at INFO with a non-zero status), a write pipeline losing a
  DataNode (the client-side view of a DataNode dying).

Rows an operator may have edited since are updated only in the fields this migration owns for
built-in types; reversing restores the earlier patterns and names.
"""

from django.db import migrations

PEER_TYPES = [
    "peer_no_route",
    "rpc_connection_refused",
    "rpc_socket_timeout",
    "peer_unknown_host",
    "peer_address_changed",
    "peer_connect_retrying",
]

NEW_TYPES = [
    {
        "code": "peer_no_route",
        "name": "Peer unreachable: no route to host",
        "category": "network",
        "default_severity": "critical",
        "patterns": [
            r"No Route to Host from\s+\S+ to \S+ failed on socket timeout exception",
            r"java\.net\.NoRouteToHostException",
        ],
        "min_level": "WARN",
        "subject": "peer",
        "description": "The network has no path to the peer: the kernel answered EHOSTUNREACH "
        "(an ICMP host-unreachable, or no ARP answer on the local segment). The peer's daemons "
        "may be fine; this host cannot get packets to it.",
        "cause": "The peer host is down or cut off (cable, switch port, VLAN), a firewall "
        "rejecting with icmp-host-prohibited, a wrong route, or the name resolving to an old "
        "address.",
        "remediation": "From the affected host: ping and `nc -zv <peer> <port>`, `ip route get "
        "<peer address>`, `getent hosts <peer>`; check the peer host is up (console, IPMI) and "
        "its firewall.",
        "confirm_metrics": "The peer's NameNode JMX or ResourceManager REST unreachable from the "
        "portal too; the peer's own logs silent.",
    },
    {
        "code": "peer_unknown_host",
        "name": "Peer name does not resolve (unknown host)",
        "category": "network",
        "default_severity": "major",
        "patterns": [
            r"java\.net\.UnknownHostException",
            r"Invalid host name: local host is:",
        ],
        "min_level": "WARN",
        "subject": "peer",
        "description": "A host name in the configuration or a client's request could not be "
        "resolved.",
        "cause": "A DNS outage, a host missing from /etc/hosts, a typo in fs.defaultFS or "
        "yarn.resourcemanager.hostname, a decommissioned host still configured.",
        "remediation": "`getent hosts <name>` on the affected host; fix DNS or /etc/hosts; check "
        "the configured addresses.",
        "confirm_metrics": "",
    },
    {
        "code": "peer_address_changed",
        "name": "Peer's address resolves differently (address change detected)",
        "category": "network",
        "default_severity": "warning",
        "patterns": [r"Address change detected\. Old: \S+ New: \S+"],
        "min_level": "WARN",
        "subject": "peer",
        "description": "The IPC client looked the server's name up again after a failed "
        "connection and got a different answer: a changed DNS record, or a name that no longer "
        "resolves to the address it was connected to.",
        "cause": "The peer moved to another address, DNS returning a different record, or name "
        "resolution failing while the peer is unreachable (Hadoop then prints the bare name).",
        "remediation": "`getent hosts <peer>` on the affected host and compare with the address "
        "in the line; check DNS and /etc/hosts; then whether the peer answers at all.",
        "confirm_metrics": "",
    },
    {
        "code": "peer_connect_retrying",
        "name": "Connection to a peer retried again and again",
        "category": "network",
        "default_severity": "warning",
        "patterns": [r"Retrying connect to server: \S+\. Already tried \d+ time\(s\)"],
        "min_level": "INFO",
        "subject": "peer",
        "description": "The IPC client failed to connect and is retrying under its retry "
        "policy; each line is one failed attempt (counted by the fault's occurrences). Many "
        "attempts in a few minutes mean the peer is down or unreachable, not a blip.",
        "cause": "The peer daemon down or restarting, the host unreachable, a firewall, a wrong "
        "address in the configuration.",
        "remediation": "`nc -zv <peer> <port>` from the affected host; check the daemon on the "
        "peer (`ss -ltnp | grep <port>`), its log, and the network between them.",
        "confirm_metrics": "The peer's JMX or REST endpoint answering, or not, at the same time.",
    },
    {
        "code": "hdfs_lease_renew_failed",
        "name": "HDFS client cannot renew its lease",
        "category": "hdfs",
        "default_severity": "minor",
        "patterns": [
            r"Failed to renew lease for \[?DFSClient_\S+\]? for \d+ seconds",
        ],
        "min_level": "WARN",
        "subject": "host",
        "description": "The client's lease renewer could not reach the NameNode to renew the "
        "leases of the files it writes; past the hard limit the NameNode may give the files to "
        "another writer and the client closes them.",
        "cause": "The NameNode unreachable (network, host down, daemon down or failing over), or "
        "the client paused (GC) for longer than the renewal period.",
        "remediation": "Find why the NameNode is unreachable from this host (the incident's "
        "cause); check the client's GC log for long pauses.",
        "confirm_metrics": "NameNode JMX answering; the client's JVM pause lines.",
        "precursors": [*PEER_TYPES, "jvm_long_pause", "namenode_unreachable", "namenode_no_active"],
    },
    {
        "code": "rm_contact_failed",
        "name": "ApplicationMaster cannot reach the ResourceManager",
        "category": "mapreduce",
        "default_severity": "major",
        "patterns": [
            r"ERROR IN CONTACTING RM",
            r"Error communicating with RM: ",
        ],
        "min_level": "WARN",
        "subject": "host",
        "description": "A MapReduce ApplicationMaster's heartbeat to the ResourceManager's "
        "scheduler failed; it keeps retrying, and the job fails when the RM stays unreachable "
        "past yarn.app.mapreduce.am.scheduler.connection.wait.interval-ms.",
        "cause": "The ResourceManager unreachable (network, host down, daemon down or failing "
        "over).",
        "remediation": "Find why the RM scheduler port (8030) is unreachable from this host (the "
        "incident's cause): `nc -zv <rm> 8030`, `yarn rmadmin -getServiceState`.",
        "confirm_metrics": "ResourceManager REST answering; its haState.",
        "precursors": [*PEER_TYPES, "resourcemanager_unreachable"],
    },
    {
        "code": "daemon_exit",
        "name": "Hadoop daemon exited with an error status",
        "category": "other",
        "default_severity": "critical",
        "patterns": [r"Exiting with status [1-9]\d*"],
        "component_pattern": r"ExitUtil",
        "min_level": "INFO",
        "grouping": "host",
        "subject": "host",
        "description": "A daemon or command called ExitUtil.terminate with a non-zero status "
        "(logged at INFO); the text after the status is the reason.",
        "cause": "A fatal start-up error (bad configuration, storage, cluster ID), an "
        "OutOfMemoryError, too many failed volumes, an HA fencing or shared-edits failure.",
        "remediation": "Read the reason after the status and the ERROR lines just before it; fix "
        "that and restart the daemon.",
        "confirm_metrics": "The daemon missing from the cluster status (dead DataNode, lost "
        "NodeManager, NameNode not answering).",
        "precursors": [
            "jvm_out_of_memory",
            "datanode_volume_failure",
            "datanode_cluster_id_mismatch",
            "namenode_low_disk_safemode",
            "journal_quorum_timeout",
        ],
    },
    {
        "code": "hdfs_pipeline_datanode_bad",
        "name": "HDFS write pipeline lost a DataNode",
        "category": "hdfs",
        "default_severity": "minor",
        "patterns": [
            r"Error Recovery for \S+ in pipeline .*: datanode \d+\(\S+\) is bad",
            r"Excluding datanode \S+",
            r"Bad response \w+ for (?:block )?\S+ from datanode \S+",
        ],
        "min_level": "WARN",
        "subject": "datanode",
        "description": "A writer's pipeline failed at one DataNode; the client drops it and goes "
        "on with the others (the pipeline can recover) or excludes it for new blocks.",
        "cause": "The DataNode died or is going away, its disk failed, it paused (GC) or is "
        "overloaded, or the network to it broke.",
        "remediation": "Check the DataNode the line names: its process, its log, its host; it "
        "is probably in the NameNode's dead nodes soon.",
        "confirm_metrics": "NumDeadDataNodes, NumStaleDataNodes; under-replicated blocks rising.",
        "precursors": [
            "datanode_dead",
            "datanodes_dead",
            "jvm_long_pause",
            "datanode_xceiver_limit",
        ],
    },
]

SUBJECTS = {
    "rpc_connection_refused": "peer",
    "rpc_socket_timeout": "peer",
    "datanode_dead": "datanode",
    "nodemanager_lost": "datanode",
    "hdfs_write_no_datanodes": "cluster",
    "hdfs_block_missing": "cluster",
    "journal_quorum_timeout": "cluster",
    "hdfs_capacity_high": "cluster",
    "hdfs_missing_blocks": "cluster",
    "datanodes_stale": "cluster",
    "namenode_safemode_on": "cluster",
    "namenode_no_active": "cluster",
}

# Built-in rows whose wording changes: (field, before, after).
CHANGES = {
    "rpc_connection_refused": {
        "name": (
            "Cannot reach NameNode/ResourceManager (connection refused)",
            "Peer refused the connection (daemon down or port closed)",
        ),
        "patterns": (
            r"failed on connection exception: java\.net\.ConnectException: Connection refused"
            "\n"
            r"No Route to Host from\s+\S+ to \S+ failed on socket timeout exception",
            r"failed on connection exception: java\.net\.ConnectException: Connection refused",
        ),
        "description": (
            "An RPC client could not connect to a Hadoop daemon.",
            "The peer host answered but nothing listens on the port (TCP reset): the daemon is "
            "down, restarting, or bound to another address.",
        ),
    },
    "hdfs_lease_expired": {
        "patterns": (
            r"LeaseExpiredException\)?: No lease on"
            "\n"
            r"Failed to renew lease for \[?DFSClient_",
            r"LeaseExpiredException\)?: No lease on",
        ),
    },
}

# Faults an unreachable NameNode or DataNode explains, besides the new types' own lists.
LINKS = {
    "hdfs_missing_blocks": ["hdfs_pipeline_datanode_bad"],
    "namenode_unreachable": PEER_TYPES,
    "resourcemanager_unreachable": PEER_TYPES,
    "nodemanagers_lost": ["nodemanager_lost", "daemon_exit"],
    "datanodes_dead": ["daemon_exit", "hdfs_pipeline_datanode_bad"],
    "datanode_dead": ["daemon_exit"],
}

FIELDS = (
    "name",
    "category",
    "default_severity",
    "min_level",
    "grouping",
    "subject",
    "description",
    "cause",
    "remediation",
    "confirm_metrics",
    "component_pattern",
)


def forwards(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for entry in NEW_TYPES:
        values = {name: entry.get(name, "") for name in FIELDS}
        values["grouping"] = entry.get("grouping", "host_message")
        values["patterns"] = "\n".join(entry["patterns"])
        FaultType.objects.update_or_create(
            code=entry["code"], defaults={**values, "is_builtin": True, "enabled": True}
        )
    for entry in NEW_TYPES:
        fault_type = FaultType.objects.get(code=entry["code"])
        fault_type.precursors.add(*FaultType.objects.filter(code__in=entry.get("precursors", [])))
    for code, subject in SUBJECTS.items():
        FaultType.objects.filter(code=code).update(subject=subject)
    for code, changes in CHANGES.items():
        for field, (before, after) in changes.items():
            FaultType.objects.filter(code=code, is_builtin=True, **{field: before}).update(
                **{field: after}
            )
    for code, precursors in LINKS.items():
        fault_type = FaultType.objects.filter(code=code).first()
        if fault_type is not None:
            fault_type.precursors.add(*FaultType.objects.filter(code__in=precursors))


def backwards(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for code, changes in CHANGES.items():
        for field, (before, after) in changes.items():
            FaultType.objects.filter(code=code, is_builtin=True, **{field: after}).update(
                **{field: before}
            )
    for code, precursors in LINKS.items():
        fault_type = FaultType.objects.filter(code=code).first()
        if fault_type is not None:
            fault_type.precursors.remove(*FaultType.objects.filter(code__in=precursors))
    FaultType.objects.filter(code__in=[e["code"] for e in NEW_TYPES], records__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0007_incidents_and_entities")]

    operations = [migrations.RunPython(forwards, backwards)]
