"""/accounts/api-token/: the signed-in person's API token: when it was made, last used and expires;
make a new one (shown once, on the page answering the POST) or revoke it. CSRF-protected forms."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from listhaven.web.api.tokens import create_token, revoke_token, token_of


@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    context: dict[str, object] = {"new_token": "", "revoked": False}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            context["new_token"] = create_token(request.user)
        elif action == "revoke":
            context["revoked"] = revoke_token(request.user)
        else:
            return render(request, "listhaven/accounts/api_token.html", {**context, "token": token_of(request.user),
                          "error": "Choose to make a token or to revoke it."}, status=400)  # fmt: skip
    context["token"] = token_of(request.user)
    response = render(request, "listhaven/accounts/api_token.html", context)
    response["Cache-Control"] = "no-store"  # the page may carry the new token
    return response
