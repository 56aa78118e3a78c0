import logging

from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from deliberation.delivery import household_rows, record_receipt, record_sms_report
from deliberation.demo import SEEDERS
from deliberation.demo.registry import PERSONAS
from deliberation.jobs import run_job
from deliberation.models import (
    AssemblyVote,
    BackgroundJob,
    Delivery,
    DeliveryChannel,
    DeliveryPurpose,
    DeliveryStatus,
    JobKind,
    JobState,
    VoteStatus,
)


def serve_seeded_notices():
    """Serve the demo's notices now, so its votes show delivery coverage at once (the queued
    tasks then find their jobs done and stop)."""
    queued = BackgroundJob.objects.filter(kind=JobKind.DELIVERY, state=JobState.QUEUED)
    for job_id in queued.values_list("pk", flat=True):
        run_job.call(job_id)


def report_seeded_deliveries(committee):
    """Take the gateway's delivery reports for the demo's notice SMS, as a real gateway posts
    them (accounts.aliyun_sms): most delivered, one in sixteen failed (an unreachable number),
    so the open votes show coverage and a list of households still to visit on paper. The
    published vote's notice went out weeks before: every household signed a paper receipt."""
    sent = Delivery.objects.filter(
        channel=DeliveryChannel.SMS, status=DeliveryStatus.SENT, purpose=DeliveryPurpose.NOTICE
    ).exclude(provider_message_id="")
    ids = sent.order_by("pk").values_list("provider_message_id", flat=True)
    report = [
        {"biz_id": biz_id, "success": True}
        if n % 16 != 5
        else {"biz_id": biz_id, "success": False, "err_code": "MOBILE_NOT_ON_SERVICE"}
        for n, biz_id in enumerate(ids)
    ]
    if report:
        record_sms_report(report)
    for vote in AssemblyVote.objects.filter(status=VoteStatus.PUBLISHED).exclude(notice=None):
        for row in household_rows(vote.notice).filter(served=False):
            record_receipt(vote.notice, row.receipt_code, by=committee)


class Command(BaseCommand):
    help = "Load the demo community (safe to run again: existing data is kept)."

    def handle(self, *args, **options):
        context = {}
        # The demo's notifications would otherwise print every email and SMS to the console,
        # burying the logins below hundreds of lines.
        sms_log = logging.getLogger("gongyi.sms")
        level = sms_log.level
        sms_log.setLevel(logging.WARNING)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                for path in SEEDERS:
                    if path == SEEDERS[-1]:
                        # before the last seeder, which marks the older notifications read
                        serve_seeded_notices()
                        report_seeded_deliveries(context["users"]["committee"])
                    result = import_string(path)(context)
                    if isinstance(result, dict):
                        context.update(result)
        finally:
            sms_log.setLevel(level)
        community = context["community"]
        self.stdout.write(self.style.SUCCESS(f"Demo community: {community.name}"))
        self.stdout.write(f"Demo logins (password for all: {context['password']}):")
        for key, phone, name, email, _roles, _owns in PERSONAS:
            self.stdout.write(f"  {key:<17} {name:<4}  phone {phone}  or  {email}")
