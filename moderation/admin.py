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

from moderation import actions
from moderation.forms import ActionReasonForm
from moderation.models import Action, AuditEntry, Report, ReportedPerson

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
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": f"{action.label}: why?",
            "action": action,
            "people": people,
            "form": form,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "moderation/admin/confirm_action.html", context
        )

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
    actions = [confirmed_action(action) for action in Action]

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
