"""The demo people have read what came before this week: each keeps only the newest few
notifications unread, as someone who uses the platform would, instead of dozens.

Runs after every other seeder, whose notifications are written as each one commits.
"""

from django.utils import timezone

from deliberation.models import Notification
from deliberation.notices import forget_unread

UNREAD_KEPT = 3


def seed(context):
    user_ids = [user.pk for user in context["users"].values()]
    now = timezone.now()
    for user_id in user_ids:
        unread = Notification.objects.filter(user_id=user_id, read_at=None)
        keep = unread.order_by("-created_at", "-pk").values_list("pk", flat=True)[:UNREAD_KEPT]
        unread.exclude(pk__in=list(keep)).update(read_at=now)
    forget_unread(user_ids)
    return {}
