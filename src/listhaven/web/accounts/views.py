"""/accounts/: sign in and out, password reset, sign-in links by mail (Django's auth views
with Listhaven's forms and templates)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from listhaven.web import access
from listhaven.web.accounts import signin_link, throttle
from listhaven.web.accounts.forms import QueuedPasswordResetForm, SignInLinkForm, ThrottledLoginForm
from listhaven.web.accounts.mail import send_account_mail

T = "listhaven/accounts/"


def landing(request: HttpRequest) -> str:
    """Where signing in leads when no page asked for it: the lists to run for their owners and
    moderators, the person's own lists (and options) for everyone else."""
    return reverse("manage") if access.managed_lists(request).exists() else reverse("account")


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = T + "login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing(self.request)


class LogoutView(auth_views.LogoutView):
    """POST signs out. GET (a typed or bookmarked /accounts/logout/) asks with a button, as Postorius's
    sign-out page does: a link must not sign anyone out, and a bare 405 told them nothing."""

    template_name = T + "logged_out.html"
    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return render(request, self.template_name)
        return render(request, T + "logout_confirm.html")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = T + "password_reset_form.html"
    email_template_name = T + "password_reset_email.txt"
    subject_template_name = T + "password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        client = throttle.client_of(self.request)
        if throttle.is_blocked(throttle.ACCOUNT_MAIL, client):
            form.add_error(None, "Too many requests from here; try again in an hour.")
            return self.form_invalid(form)
        throttle.count(throttle.ACCOUNT_MAIL, client)
        if not _may_mail(form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())  # as if sent: the answer tells nothing
        # Links are made from the configured site address, never from the request's Host header.
        self.extra_email_context = {"site_url": str(settings.SITE_URL).rstrip("/")}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = T + "password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = T + "password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = T + "password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """Asks for a sign-in link. The answer is the same whether or not the address is known."""
    form = SignInLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = throttle.client_of(request)
        if throttle.is_blocked(throttle.ACCOUNT_MAIL, client):
            form.add_error(None, "Too many requests from here; try again in an hour.")
        else:
            throttle.count(throttle.ACCOUNT_MAIL, client)
            if _may_mail(form.cleaned_data["email"]):
                _mail_link(form.cleaned_data["email"])
            return render(request, T + "link_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, T + "link_request.html", {"form": form})


def _may_mail(address: str) -> bool:
    """Counts one more account mail asked for `address`; False once it had its share this hour
    (throttle.ACCOUNT_MAIL_TO), whichever clients asked. The caller then sends nothing and answers
    as if it had, so the page says nothing about the address."""
    who = throttle.address_key(address)
    if throttle.is_blocked(throttle.ACCOUNT_MAIL_TO, who):
        return False
    throttle.count(throttle.ACCOUNT_MAIL_TO, who)
    return True


def _mail_link(address: str) -> None:
    user = signin_link.account_for(address)
    if user is None:
        return
    uid, token = signin_link.link_path_parts(user)
    url = str(settings.SITE_URL).rstrip("/") + reverse("signin-link", args=[uid, token])
    text = (f"Someone (you, we hope) asked to sign in to {settings.SITE_NAME} as {user.email}.\n\n"
            f"Open this link within an hour to sign in:\n\n  {url}\n\n"
            "It works once. If you did not ask for it, ignore this message.\n")  # fmt: skip
    send_account_mail(user.email, f"Sign in to {settings.SITE_NAME}", text)


@require_http_methods(["GET", "POST"])
def use_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that follow links must not spend the link); POST signs in.

    The sign-in reads the account with its row taken and records the sign-in time (which ends the link)
    in the same transaction, so the link posted twice at once, to two web processes, signs in once."""
    if request.method == "GET":
        user = signin_link.user_for_link(uidb64, token)
        if user is None:
            return render(request, T + "link_invalid.html", status=400)
        access.mark_personal(request)  # names the account the link signs in to
        return render(request, T + "link_confirm.html", {"account": user})
    with transaction.atomic():
        user = signin_link.user_for_link(uidb64, token, for_update=True)
        if user is None:
            return render(request, T + "link_invalid.html", status=400)
        access.mark_personal(request)
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = landing(request)
    return HttpResponseRedirect(target)
