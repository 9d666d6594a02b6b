"""The sign-in form with throttling, password reset mailed through the queue, the sign-in link request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader

from listhaven.web.accounts import throttle
from listhaven.web.accounts.mail import send_account_mail

TOO_MANY = "Too many failed sign-ins. Wait a quarter of an hour, or ask for a sign-in link by mail."


class ThrottledLoginForm(AuthenticationForm):
    """Django's sign-in form; after too many failures for the account or from the client, no
    password is even checked until the window passes."""

    username = forms.CharField(label="Email address", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email"}))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        account = (self.cleaned_data.get("username") or "").strip()
        client = throttle.client_of(self.request) if self.request else "unknown"
        if throttle.is_blocked(throttle.ACCOUNT, account) or throttle.is_blocked(throttle.CLIENT, client):
            raise forms.ValidationError(TOO_MANY, code="throttled")
        if account:
            self.cleaned_data["username"] = _username_for(account)
        try:
            return super().clean()
        except forms.ValidationError:
            throttle.count(throttle.ACCOUNT, account)
            throttle.count(throttle.CLIENT, client)
            raise


def _username_for(given: str) -> str:
    """Accounts are named by their address; one written with another case still signs in."""
    found = get_user_model().objects.filter(email__iexact=given).values_list("username", flat=True).first()
    return found or given


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, its mail queued for the list server's delivery instead of sent."""

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:  # fmt: skip
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_account_mail(to_email, subject, body)


class SignInLinkForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
