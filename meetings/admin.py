"""Read-mostly admin for meetings: the room's rows are changed through the services only."""

from django.contrib import admin

from deliberation.admin import ReadOnlyAdmin
from meetings.models import AgendaItem, Meeting, MinutesEntry, Participant, RoomEvent


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "title", "topic", "status"]
    readonly_fields = ["status"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["name", "user", "role", "rsvp", "checked_in_at", "checkin_method"]
    readonly_fields = ["checked_in_at", "checkin_method"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "community", "starts_at", "status", "chair"]
    list_filter = ["kind", "status", "community"]
    search_fields = ["title"]
    readonly_fields = ["status", "version", "minutes_digest", "published_at", "notice"]
    inlines = [AgendaInline, ParticipantInline]


@admin.register(MinutesEntry)
class MinutesEntryAdmin(admin.ModelAdmin):
    list_display = ["meeting", "kind", "automatic", "created_at"]
    list_filter = ["kind", "automatic"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoomEvent)
class RoomEventAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "version", "command", "actor", "created_at"]
