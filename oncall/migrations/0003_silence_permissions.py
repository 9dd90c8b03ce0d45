"""Viewers see silences, maintenance windows and snoozes; operators make, edit and delete them
(as faultportal's 0002 grants for faults). Permissions are created here because Django creates
them only after all migrations ran."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ("silence", "maintenancewindow", "faultsnooze")
GRANTS = {
    "viewer": [f"view_{model}" for model in MODELS],
    "operator": [
        f"{verb}_{model}" for model in MODELS for verb in ("view", "add", "change", "delete")
    ],
}


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    create_permissions(global_apps.get_app_config("oncall"), apps=apps, using=alias, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.using(alias).filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.using(alias).filter(
                content_type__app_label="oncall", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.using(alias).filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.using(alias).filter(
                    content_type__app_label="oncall", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0002_silences"),
        ("faultportal", "0002_operator_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
