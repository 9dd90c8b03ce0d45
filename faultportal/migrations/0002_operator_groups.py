"""The two operator groups: "viewer" browses the portal read-only, "operator" also acts on faults.

Django creates permissions in a post_migrate signal, i.e. after every migration has run, so on a
fresh database the permissions this migration grants do not exist yet: it creates them itself
for the apps concerned (create_permissions is idempotent). Re-running only adds what is missing,
so permissions an administrator granted by hand are kept.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEWER_PERMISSIONS = [
    ("logs", "view_systemlog"),
    ("logs", "view_execlog"),
    ("cluster", "view_clusterstatus"),
    ("diagnosis", "view_faultrecord"),
    ("diagnosis", "view_faulttype"),
    ("diagnosis", "view_faultevent"),
    ("diagnosis", "view_diagnosis"),
]
# Operators transition faults (acknowledge, resolve, ignore, reopen; DiagnoseScope also reads
# change_faultrecord as "may diagnose") and extend the fault-type catalogue. Exec logs stay
# view-only: they are reports from the script wrapper, and a run typed in by hand would look
# exactly like one that really happened. API tokens are for superusers only.
OPERATOR_PERMISSIONS = [
    *VIEWER_PERMISSIONS,
    ("diagnosis", "change_faultrecord"),
    ("diagnosis", "add_faulttype"),
    ("diagnosis", "change_faulttype"),
]
GROUPS = {"viewer": VIEWER_PERMISSIONS, "operator": OPERATOR_PERMISSIONS}


def create_groups(apps, schema_editor):
    alias = schema_editor.connection.alias
    for app_label in sorted({app for app, _ in OPERATOR_PERMISSIONS}):
        # The real app config passes create_permissions' "has models" check; `apps` makes it
        # use the historical models of this point in the migration graph.
        create_permissions(
            global_apps.get_app_config(app_label), apps=apps, using=alias, verbosity=0
        )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.using(alias).get_or_create(name=name)
        for app_label, codename in wanted:
            permission = Permission.objects.using(alias).get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("faultportal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("logs", "0001_initial"),
        ("cluster", "0001_initial"),
        ("diagnosis", "0003_fault_catalogue"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
