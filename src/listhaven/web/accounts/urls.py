"""/accounts/: Django's conventional place for sign-in."""

from django.urls import path

from listhaven.web.accounts import api_token, views
from listhaven.web.views.members import account

urlpatterns = [
    path("", account.your_lists, name="account"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("link/", views.request_link, name="signin-link-request"),
    path("link/<uidb64>/<token>/", views.use_link, name="signin-link"),
    path("data.json", account.my_data, name="account-data"),
    path("delete/", account.delete_account, name="account-delete"),
    path("api-token/", api_token.api_token, name="account-api-token"),
]
