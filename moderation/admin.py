"""Staff's review: the people with open reports, newest first, the actions
(each through a page that asks why), and the audit log, read-only. Every page
here needs the `moderation.moderate` permission: other staff get the admin's
403."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from avatars.models import BlockedPhoto
from moderation import actions
from moderation.forms import ActionReasonForm
from moderation.models import (
    PERSON_ACTIONS,
    Action,
    AuditEntry,
    Report,
    ReportedPerson,
)

OPEN = Q(reports_received__closed_at__isnull=True)
PERMISSION = "moderation.moderate"


class ModeratorsOnly:
    """Seen by moderators, changed by nobody: what the admin shows is written
    by the site (reports) or by the actions (the audit log)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReportInline(ModeratorsOnly, admin.TabularInline[Report, ReportedPerson]):
    """Every report of the person, open ones first, the newest first."""

    model = Report
    fk_name = "person"
    fields = readonly_fields = (
        "created_at",
        "updated_at",
        "reason",
        "note",
        "reporter",
        "closed_at",
    )
    ordering = ["-closed_at", "-updated_at"]
    extra = 0


def ask_reason(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    action: Action,
    targets: list[tuple[Any, str]],
    form: ActionReasonForm,
) -> TemplateResponse:
    """The page between an admin action and its doing: why (required)."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{action.label}: why?",
        "action": action,
        "targets": targets,
        "form": form,
        "opts": opts,
        "changelist": f"admin:{opts.app_label}_{opts.model_name}_changelist",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "moderation/admin/confirm_action.html", context)


def confirmed_action(action: Action) -> Callable[..., HttpResponse | None]:
    """An admin action that first asks for the reason, then does `action` to
    each selected person."""

    def run(
        modeladmin: "ReportedPersonAdmin",
        request: HttpRequest,
        queryset: QuerySet[ReportedPerson],
    ) -> HttpResponse | None:
        people = list(queryset.select_related("profile", "avatar"))
        form = ActionReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            for person in people:
                actions.act(request, action, person, form.cleaned_data["reason"])
            modeladmin.message_user(
                request,
                f"{action.label}: {', '.join(p.username for p in people)}.",
                messages.SUCCESS,
            )
            return None
        targets = [(person.pk, person.username) for person in people]
        return ask_reason(modeladmin, request, action, targets, form)

    run.__name__ = action.value
    return admin.action(permissions=["moderate"], description=action.label)(run)


@admin.register(ReportedPerson)
class ReportedPersonAdmin(ModeratorsOnly, admin.ModelAdmin[ReportedPerson]):
    list_display = ["photo", "username", "open_reports", "reasons", "latest_report"]
    list_display_links = ["username"]
    search_fields = ["username"]
    fields = readonly_fields = (
        "photo",
        "username",
        "email",
        "is_active",
        "date_joined",
        "page",
    )
    inlines = [ReportInline]
    actions = [confirmed_action(action) for action in PERSON_ACTIONS]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportedPerson]:
        # Not the admin's: it orders by get_ordering before the annotation.
        people = cast(QuerySet[ReportedPerson], ReportedPerson.objects.all())
        return (
            people.annotate(
                open_count=Count("reports_received", filter=OPEN),
                latest=Max("reports_received__updated_at", filter=OPEN),
            )
            .filter(open_count__gt=0)
            .select_related("avatar", "profile")
            .prefetch_related(
                Prefetch(
                    "reports_received",
                    Report.objects.filter(closed_at__isnull=True),
                    to_attr="open_list",
                )
            )
        )

    def get_ordering(self, request: HttpRequest) -> tuple[str]:
        return ("-latest",)

    @admin.display(description="photo")
    def photo(self, person: ReportedPerson) -> SafeString:
        return SafeString(
            render_to_string("moderation/admin/_photo.html", {"person": person})
        )

    @admin.display(description="open reports", ordering="open_count")
    def open_reports(self, person: Any) -> int:
        return int(person.open_count)

    @admin.display(description="reasons and notes")
    def reasons(self, person: Any) -> SafeString:
        return format_html_join(
            "",
            "<p><strong>{}</strong> {}</p>",
            ((r.get_reason_display(), r.note) for r in person.open_list),
        )

    @admin.display(description="latest report", ordering="latest")
    def latest_report(self, person: Any) -> Any:
        return person.latest

    @admin.display(description="page")
    def page(self, person: ReportedPerson) -> str:
        profile = person.profile
        locked = " (locked by staff)" if profile.visibility_locked else ""
        return f"{profile.get_visibility_display()}{locked}"


@admin.register(AuditEntry)
class AuditEntryAdmin(ModeratorsOnly, admin.ModelAdmin[AuditEntry]):
    list_display = fields = readonly_fields = (
        "created_at",
        "moderator_username",
        "action",
        "person_username",
        "report_id",
        "reason",
    )
    list_filter = ["action"]
    search_fields = ["moderator_username", "person_username"]
    actions = None


@admin.register(BlockedPhoto)
class BlockedPhotoAdmin(ModeratorsOnly, admin.ModelAdmin[BlockedPhoto]):
    """The photos removed by moderators that cannot be uploaded again; lifting
    an entry (with a reason, in the audit log) lets its photo back in."""

    list_display = fields = readonly_fields = ("blocked_at", "person", "hashed")
    list_select_related = ["user"]
    actions = ["lift_block"]

    @admin.display(description="whose photo it was")
    def person(self, entry: BlockedPhoto) -> str:
        return entry.user.username if entry.user else "(account deleted)"

    @admin.display(description="hashes kept")
    def hashed(self, entry: BlockedPhoto) -> int:
        # One: a photo shown before photos were hashed, from its thumbnail.
        return len(entry.hashes.split())

    @admin.action(permissions=["moderate"], description=Action.LIFT_BLOCK.label)
    def lift_block(
        self, request: HttpRequest, queryset: QuerySet[BlockedPhoto]
    ) -> HttpResponse | None:
        entries = list(queryset.select_related("user"))
        form = ActionReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            for entry in entries:
                actions.lift_block(request, entry, form.cleaned_data["reason"])
            self.message_user(
                request, f"Lifted {len(entries)} photo block(s).", messages.SUCCESS
            )
            return None
        targets = [(entry.pk, f"{entry} of {self.person(entry)}") for entry in entries]
        return ask_reason(self, request, Action.LIFT_BLOCK, targets, form)
