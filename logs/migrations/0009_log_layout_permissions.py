"""Viewers see the log layouts, operators add and change them (as they extend the fault-type
catalogue: faultportal's 0002). Deleting stays with superusers; an operator disables a layout.

Permissions are created here because Django creates them only after all migrations ran.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "viewer": ["view_loglayout"],
    "operator": ["view_loglayout", "add_loglayout", "change_loglayout"],
}


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("logs"), apps=apps, using=alias, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.using(alias).filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.using(alias).filter(
                content_type__app_label="logs", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="logs", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("logs", "0008_merge_layouts_and_events"),
        ("faultportal", "0002_operator_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
