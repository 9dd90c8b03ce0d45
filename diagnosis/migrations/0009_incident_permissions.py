"""Viewers see incidents, operators act on their faults (as faultportal's 0002 grants for faults).

Permissions are created here because Django creates them only after all migrations ran.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"viewer": ["view_incident"], "operator": ["view_incident", "change_incident"]}


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("diagnosis"), apps=apps, using=alias, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.using(alias).filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.using(alias).filter(
                content_type__app_label="diagnosis", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="diagnosis", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("diagnosis", "0008_incident_catalogue"),
        ("faultportal", "0002_operator_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
