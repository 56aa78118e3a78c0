from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from deliberation.models import (
    AuditEntry,
    BackgroundJob,
    Building,
    Community,
    Estate,
    Grid,
    Holder,
    Membership,
    Notice,
    Objection,
    Ownership,
    StreetOffice,
    Topic,
    Unit,
)
from deliberation.registry import identity_digest


@admin.register(StreetOffice)
class StreetOfficeAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class EstateInline(admin.TabularInline):
    model = Estate
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "street_office", "cosign_threshold", "assembly_notice_days"]
    list_filter = ["street_office"]
    search_fields = ["name"]
    inlines = [EstateInline]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ["name", "community"]
    list_filter = ["community"]
    search_fields = ["name"]
    inlines = [BuildingInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "estate"]
    list_filter = ["estate__community", "estate"]
    search_fields = ["name", "estate__name"]


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["holder"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "building", "floor", "area", "area_basis", "kind"]
    list_filter = ["kind", "area_basis", "building__estate__community", "building__estate"]
    search_fields = ["number", "building__name", "ownerships__holder__name"]
    list_select_related = ["building"]
    autocomplete_fields = ["building"]
    inlines = [OwnershipInline]


class HolderOwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["unit"]
    verbose_name_plural = _("units held")


@admin.register(Holder)
class HolderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "id_masked", "community", "user"]
    list_filter = ["kind", "community"]
    search_fields = ["name", "phone", "id_masked"]
    readonly_fields = ["id_digest", "id_masked"]
    raw_id_fields = ["user"]
    inlines = [HolderOwnershipInline]

    def get_search_results(self, request, queryset, search_term):
        """A full identity number typed into search finds its holder through the digest."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if len(term) >= 15 and term[:-1].isdigit():
            results |= queryset.filter(id_digest=identity_digest(term))
        return results, may_have_duplicates


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "worker"]
    list_filter = ["community"]
    filter_horizontal = ["buildings"]
    raw_id_fields = ["worker"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "estate"]
    list_filter = ["role", "community"]
    search_fields = ["user__real_name", "user__phone"]
    raw_id_fields = ["user"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "phase", "category", "created_at"]
    list_filter = ["phase", "category", "community"]
    search_fields = ["title"]
    raw_id_fields = ["proposer", "filed_by", "merged_into"]
    # The phase and its stamps change only through deliberation.lifecycle.transition_topic
    # (audited, notified); the counters only through the topic services.
    readonly_fields = [
        "phase",
        "phase_reason",
        "phase_changed_at",
        "submitted_at",
        "accepted_at",
        "decided_at",
        "execution_started_at",
        "completed_at",
        "closed_at",
        "version",
        "cosign_count",
        "comment_count",
        "cosign_target",
    ]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "kind", "published_at", "ends_at"]
    list_filter = ["kind", "community"]

    def has_change_permission(self, request, obj=None):
        return False  # notices are superseded, never edited


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["notice", "author", "created_at", "answered_at"]
    list_filter = ["notice__community"]

    def has_change_permission(self, request, obj=None):
        return False  # filed and answered on the notice's page, with an audit entry

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "verb", "target_type", "target_id", "actor"]
    list_filter = ["verb"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


from deliberation.models import StoredDocument  # noqa: E402


@admin.register(StoredDocument)
class StoredDocumentAdmin(admin.ModelAdmin):
    """Published PDFs: read-only, since their hashes are in the audit log."""

    list_display = ["title", "kind", "community", "created_at", "verification_code", "size"]
    list_filter = ["kind"]
    search_fields = ["title", "verification_code", "sha256"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


# 办 and 评. Units and their contacts are set up here; tasks, ratings and visits change only
# through deliberation.services.execution (audited), so the admin shows them read-only.
from deliberation.models import PartnerOffering, PartnerUnit, Rating, Task  # noqa: E402


class PartnerOfferingInline(admin.TabularInline):
    model = PartnerOffering
    extra = 0


@admin.register(PartnerUnit)
class PartnerUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "is_active"]
    list_filter = ["kind", "community"]
    search_fields = ["name"]
    filter_horizontal = ["contacts"]
    inlines = [PartnerOfferingInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the services (and their audit): shown, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "topic", "round", "responsible", "due_date", "state", "progress"]
    list_filter = ["state", "responsible", "route"]
    search_fields = ["title", "topic__title"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["topic", "round", "user", "level", "created_at"]
    list_filter = ["level"]


# Owners' assembly votes: read-only here, since every change must go through the services
# (permission, the unique ballot constraint's friendly message, and the audit chain).
from deliberation.models import AssemblyVote, ElectorateAmendment  # noqa: E402


@admin.register(AssemblyVote)
class AssemblyVoteAdmin(ReadOnlyAdmin):
    list_display = ["title", "estate", "status", "opens_at", "closes_at", "result_published_at"]
    list_filter = ["status", "convened_by"]
    search_fields = ["title", "estate__name"]


@admin.register(ElectorateAmendment)
class ElectorateAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["vote", "unit_label", "reason", "by", "created_at"]
    search_fields = ["unit_label", "reason"]


# Topic discussion and decisions: read-only, changed through deliberation.services.topics.
from deliberation.models import Comment, Decision  # noqa: E402


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["topic", "decided_by", "decided_on", "recorded_by"]
    list_filter = ["decided_by"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["topic", "author", "stance", "created_at", "hidden_at"]
    list_filter = ["stance"]
    search_fields = ["body"]


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    """Watching long work; jobs change only through the worker and their own pages."""

    list_display = ["pk", "kind", "title", "state", "done", "total", "attempts", "heartbeat_at"]
    list_filter = ["kind", "state"]
    search_fields = ["title", "task_result_id"]
    readonly_fields = [f.name for f in BackgroundJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
