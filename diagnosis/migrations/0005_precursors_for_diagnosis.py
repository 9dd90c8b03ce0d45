"""Precursor links the diagnosis engine correlates on, from research/peers.md §4.

The catalogue (0003) links most precursors; these are the ones §4 names that it does not:
F03 → F04 (low NameNode disk puts it in safe mode), and the dead or full DataNodes behind
client-side block failures (F11 → F05/F06, F02 → F05). Additive, and it runs once: later
edits of these links in the admin are kept.
"""

from django.db import migrations

LINKS = {
    "namenode_safemode": ["namenode_low_disk_safemode"],
    "hdfs_block_missing": ["datanode_dead"],
    "hdfs_write_no_datanodes": ["datanode_dead", "datanode_out_of_space"],
}


def add_links(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for code, precursors in LINKS.items():
        fault_type = FaultType.objects.filter(code=code).first()
        if fault_type is None:
            continue
        fault_type.precursors.add(*FaultType.objects.filter(code__in=precursors))


def remove_links(apps, schema_editor):
    FaultType = apps.get_model("diagnosis", "FaultType")
    for code, precursors in LINKS.items():
        fault_type = FaultType.objects.filter(code=code).first()
        if fault_type is None:
            continue
        fault_type.precursors.remove(*FaultType.objects.filter(code__in=precursors))


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0004_metric_fault_types")]

    operations = [migrations.RunPython(add_links, remove_links)]
