from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["pk"]
    list_display = ["pk", "real_name", "phone", "email", "is_staff", "is_active"]
    search_fields = ["real_name", "phone", "email"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "phone_verified", "password"]}),
        ("Profile", {"fields": ["real_name", "language", "text_size"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "phone", "password1", "password2"]})]
