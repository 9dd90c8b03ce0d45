r"""Fault-type patterns run on RE2 (diagnosis/patterns.py), which has no lookarounds.

One built-in pattern used a negative lookahead to skip the ApplicationMaster monitor's
"Expired:appattempt_…" lines. NodeManager ids are host:port and an attempt id has no colon, so
`[\w.-]+:\d+` alone already tells them apart: the pattern is rewritten without it, where the
row still holds the shipped text (an operator's own edit is left alone).
"""

from django.db import migrations, models

import diagnosis.models

OLD = r"Expired:(?!appattempt_)[\w.-]+:\d+ Timed out after \d+ secs"
NEW = r"Expired:[\w.-]+:\d+ Timed out after \d+ secs"


def _rewrite(apps, old: str, new: str) -> None:
    FaultType = apps.get_model("diagnosis", "FaultType")
    FaultType.objects.filter(code="nodemanager_lost", patterns=old).update(patterns=new)


def forwards(apps, schema_editor):
    _rewrite(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rewrite(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("diagnosis", "0005_precursors_for_diagnosis"),
    ]

    operations = [
        migrations.AlterField(
            model_name="faulttype",
            name="patterns",
            field=models.TextField(
                blank=True,
                help_text="Regular expressions (RE2 syntax: Python's, without lookarounds or backreferences), one per line, searched in the message and trace. Empty: the type is raised by metrics or rules, never by log text.",
                validators=[diagnosis.models.validate_patterns],
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
