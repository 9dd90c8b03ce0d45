"""The exec log's content type follows the model from `logs` to `runs`.

Permissions hang on the content type, so renaming its app label keeps every grant: the
operator groups' `view_execlog` and anything an administrator gave by hand, as well as the
admin's history entries. Should `runs.execlog` already exist (a post_migrate ran in between),
the grants move onto its permissions and the old content type goes.
"""

from django.db import migrations


def _move(apps, schema_editor, source: str, target: str):
    alias = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    types = ContentType.objects.using(alias)
    old = types.filter(app_label=source, model="execlog").first()
    if old is None:
        return
    new = types.filter(app_label=target, model="execlog").first()
    if new is None:
        old.app_label = target
        old.save(update_fields=["app_label"])
        return
    for permission in Permission.objects.using(alias).filter(content_type=old):
        moved, _ = Permission.objects.using(alias).get_or_create(
            content_type=new, codename=permission.codename, defaults={"name": permission.name}
        )
        for group in permission.group_set.all():
            group.permissions.add(moved)
        for user in permission.user_set.all():
            user.user_permissions.add(moved)
    old.delete()


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "logs", "runs")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "runs", "logs")


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
