"""The bell in the navigation: `{% load notification_tags %}{% unread_notifications as n %}`."""

from django import template

from deliberation.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context):
    """Unread count for the signed-in user; one small indexed query, once per page."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
