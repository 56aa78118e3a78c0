import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_sessions_over(apps, schema_editor):
    """Sessions live on in the new table, each naming its user, so nobody is signed out."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    Old = apps.get_model("sessions", "Session")
    New = apps.get_model("accounts", "Session")
    User = apps.get_model("accounts", "User")
    users = set(User.objects.values_list("pk", flat=True))
    decoder = SessionStore()  # the signing salt is the store class's name, as when written
    batch = []
    for old in Old.objects.all().iterator(chunk_size=2000):
        try:
            user_id = int(decoder.decode(old.session_data).get(SESSION_KEY))
        except (TypeError, ValueError):
            user_id = None
        batch.append(
            New(
                session_key=old.session_key,
                session_data=old.session_data,
                expire_date=old.expire_date,
                user_id=user_id if user_id in users else None,
            )
        )
        if len(batch) == 2000:
            New.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    New.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                (
                    "expire_date",
                    models.DateTimeField(db_index=True, verbose_name="expire date"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(carry_sessions_over, migrations.RunPython.noop),
    ]
