"""The bell in the navigation: `{% load notification_tags %}{% unread_notifications as n %}`."""

from django import template
from django.core.cache import cache

from deliberation.models import Notification
from deliberation.notices import UNREAD_TIMEOUT, unread_key

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context):
    """Unread count for the signed-in user, kept in the cache: every page shows it, and it
    changes only when notifications arrive or are read (deliberation.notices drops it then)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    key = unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TIMEOUT)
    return count
