"""What deliberation does when the apps below it (accounts) send their signals."""

from django.dispatch import receiver

from accounts.signals import personal_data_exported
from deliberation.audit import record_audit


@receiver(personal_data_exported, dispatch_uid="deliberation-audit-personal-data-export")
def audit_personal_data_export(sender, user, **kwargs):
    record_audit(actor=user, verb="personal_data.export", target=user, public=False)
