"""`{{ roles|allows:"registry.export" }}`: ask the permission table from a template.

For includes rendered by views that pass the user's `roles` but not every flag; the decision
stays in deliberation.permissions.may.
"""

from django import template

from deliberation.permissions import may

register = template.Library()


@register.filter
def allows(roles, action):
    return may(roles or (), action)
