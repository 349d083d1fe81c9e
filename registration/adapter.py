"""The glue between django-allauth and the site."""

import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string

from registration.models import User

if TYPE_CHECKING:
    from registration.tasks import Email


def normalised_login(login: str) -> str:
    """What a person typed as their login, as one key: ' Bob', 'ｂｏｂ' and 'Bob\\t'
    are all 'bob'."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def public(url: str) -> str:
    """A link of the site's, on its public address (settings.SITE_URL) if set."""
    if not settings.SITE_URL:
        return url
    parts = urlsplit(url)
    return settings.SITE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_taken": "That username is taken.",
        "email_taken": "An account with that e-mail already exists.",
    }

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """allauth's checks, with "taken" asked in any case through the
        lower-case index (allauth's `iexact` reads the whole table)."""
        username = super().clean_username(username, shallow=True)
        if not shallow and User.objects.named(username).exists():
            raise self.validation_error("username_taken")
        return username

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        """An address another account signs in with is not taken over by a
        confirmation link: allauth checks only confirmed addresses, and
        User.email is unique in any case."""
        taken = (
            User.objects.with_email(email_address.email)
            .exclude(pk=email_address.user_id)
            .exists()
        )
        if taken:
            self.add_message(
                request,
                messages.ERROR,
                message=f"{email_address.email} is used by another account, "
                "so it cannot be yours too.",
            )
            return False
        confirmed: bool = super().confirm_email(request, email_address)
        return confirmed

    def get_email_confirmation_url(
        self, request: HttpRequest, emailconfirmation: Any
    ) -> str:
        return public(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return public(super().get_reset_password_from_key_url(key))

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """allauth's message, with an HTML part made from its text: links you can
        click, in the site's colours."""
        message: EmailMessage = super().render_mail(
            template_prefix, email, context, headers
        )
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            html = render_to_string(
                "account/email/message.html",
                {"subject": message.subject, "body": message.body},
            )
            message.attach_alternative(html, "text/html")
        return message

    def send_mail(
        self, template_prefix: str, email: str, context: dict[str, Any]
    ) -> None:
        """Render the message here, send it from the worker once the change that
        asked for it has committed."""
        from registration.tasks import queue_email

        fields = self.render_for_worker(template_prefix, email, context)
        transaction.on_commit(lambda: queue_email(fields))

    def render_for_worker(
        self, template_prefix: str, email: str, context: dict[str, Any]
    ) -> "Email":
        """The message rendered in this request, as the plain data the worker's
        send_email takes: for a message the worker sends later, when there is
        no request to build its links from (the export's "ready")."""
        request = self.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
            },
        )
        fields: Email = {
            "subject": str(message.subject),
            "body": str(message.body),
            "from_email": message.from_email,
            "to": list(message.to),
            "headers": dict(message.extra_headers),
            "alternatives": [
                (content, mimetype)
                for content, mimetype in getattr(message, "alternatives", [])
            ],
        }
        return fields

    def _get_login_attempts_cache_key(
        self, request: HttpRequest, **credentials: Any
    ) -> str:
        """The failed-login counter's key: the account itself when the login names
        one (by username or e-mail, in any case), else the normalised text.

        allauth's own key is the Host header plus the typed text, lower-cased, so
        typing the e-mail instead of the username, or another Host, got a fresh
        budget.
        """
        login = normalised_login(
            str(credentials.get("email") or credentials.get("username") or "")
        )
        # No .first(): its ORDER BY would sort what the indexes found.
        found = list(User.objects.by_login(login).values_list("pk", flat=True)[:1])
        user_id = found[0] if found else None
        return f"user:{user_id}" if user_id else f"login:{login}"
