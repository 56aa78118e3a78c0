"""The KPI dashboard for a community and for a street office across its communities.

`?format=xlsx` returns the same figures as a spreadsheet.
"""

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from deliberation.access import community_for, raise_not_found, roles_of
from deliberation.charts import hbar_chart, month_chart
from deliberation.forms.execution import PeriodForm
from deliberation.models import Community, Membership, Role, StreetOffice
from deliberation.services.kpi import compute_kpis, default_period, period_end_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request):
    start, end = default_period()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
        if start > end:
            start = end
    return form, start, end


def _charts(kpis):
    months = [(r["label"], r["accepted"], r["resolved"]) for r in kpis["by_month"]]
    return {
        "month": month_chart(
            "chart-month",
            _("Topics accepted and resolved, by month"),
            months,
            first_label=_("Accepted topics"),
            second_label=_("Resolved"),
        ),
        "category": hbar_chart(
            "chart-category",
            _("Resolution rate by category"),
            [(r["label"], r["resolution"]) for r in kpis["by_category"]],
        ),
        "grid": hbar_chart(
            "chart-grid",
            _("Resolution rate by grid"),
            [(r["label"], r["resolution"]) for r in kpis["by_grid"]],
        ),
        "community": hbar_chart(
            "chart-community",
            _("Resolution rate by community"),
            [(r["label"], r["resolution"]) for r in kpis["by_community"]],
        ),
    }


def _render(request, kpis, context, filename):
    if request.GET.get("format") == "xlsx":
        return _xlsx(kpis, filename)
    context = {**context, "kpis": kpis, "charts": _charts(kpis), "rates": _rate_rows(kpis)}
    context["period_last_day"] = period_end_date(kpis["end"])
    return TemplateResponse(request, "deliberation/dashboard.html", context)


@login_required
@require_GET
def dashboard(request, community_id):
    community = community_for(request.user, community_id, "kpi.view")
    form, start, end = _period(request)
    kpis = compute_kpis([community.pk], start, end)
    return _render(
        request,
        kpis,
        {"community": community, "scope_name": community.name, "form": form, "street": False},
        f"kpi-community-{community.pk}-{start:%Y%m}-{end:%Y%m}.xlsx",
    )


@login_required
@require_GET
def street_dashboard(request, street_office_id):
    """For street-office observers: every community of the office, together and side by side."""
    office = get_object_or_404(StreetOffice, pk=street_office_id)
    watched = Membership.objects.filter(
        user=request.user, community__street_office=office
    ).values_list("community_id", flat=True)
    if not watched:
        raise_not_found()
    if not any(Role.STREET_OBSERVER in roles_of(request.user, c) for c in set(watched)):
        raise PermissionDenied
    ids = list(Community.objects.filter(street_office=office).values_list("pk", flat=True))
    form, start, end = _period(request)
    kpis = compute_kpis(ids, start, end, compare_communities=True)
    return _render(
        request,
        kpis,
        {"office": office, "scope_name": office.name, "form": form, "street": True},
        f"kpi-street-{office.pk}-{start:%Y%m}-{end:%Y%m}.xlsx",
    )


def _xlsx(kpis, filename):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    bold = Font(bold=True)
    sheet.append([_("Figure"), _("Numerator"), _("Denominator"), _("Rate"), _("Definition")])
    for cell in sheet[1]:
        cell.font = bold
    sheet.append([_("Period"), f"{kpis['start']:%Y-%m}", f"{kpis['end']:%Y-%m}"])
    sheet.append([_("Topics received"), kpis["received"]])
    sheet.append([_("Topics accepted"), kpis["accepted"]])
    for label, ratio, definition in _rate_rows(kpis):
        sheet.append([label, ratio.numerator, ratio.denominator, _fraction_cell(ratio), definition])
    sheet.append([_("Median days from proposal to decision"), kpis["median_days_to_decision"]])
    sheet.append([_("Median days from proposal to completion"), kpis["median_days_to_completion"]])
    sheet.append([_("Open overdue tasks"), kpis["open_overdue"]])
    for title, rows in (
        (_("By month"), kpis["by_month"]),
        (_("By category"), kpis["by_category"]),
        (_("By grid"), kpis["by_grid"]),
        (_("By community"), kpis["by_community"]),
    ):
        if not rows and title in (_("By grid"), _("By community")):
            continue
        ws = book.create_sheet(title[:31])
        ws.append(
            [
                title,
                _("Accepted topics"),
                _("Resolved"),
                _("Resolution rate"),
                _("Tasks due"),
                _("Done among due"),
                _("Completion rate"),
                _("Ratings"),
                _("Satisfied"),
                _("Satisfaction rate"),
            ]
        )
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(
                [
                    str(row["label"]),
                    row.get("accepted", 0),
                    row.get("resolved", 0),
                    _fraction_cell(row["resolution"]),
                    row.get("due", 0),
                    row.get("done_due", 0),
                    _fraction_cell(row["completion"]),
                    row.get("ratings", 0),
                    row.get("satisfied", 0),
                    _fraction_cell(row["satisfaction"]),
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _fraction_cell(ratio):
    """A spreadsheet keeps a rate as a number; the exact fraction is numerator/denominator."""
    return None if ratio.fraction is None else ratio.permille / 1000


def _rate_rows(kpis):
    return [
        (
            _("Resolution rate (化解率)"),
            kpis["resolution"],
            _("Topics accepted in the period that are now closed ÷ topics accepted."),
        ),
        (
            _("Completion rate (办结率)"),
            kpis["completion"],
            _("Tasks done ÷ tasks whose due date has passed, for topics accepted in the period."),
        ),
        (
            _("On-time rate"),
            kpis["on_time"],
            _("Tasks done by their due date ÷ tasks done."),
        ),
        (
            _("Satisfaction rate (满意率)"),
            kpis["satisfaction"],
            _("Satisfied and basically satisfied ratings ÷ all ratings."),
        ),
    ]
