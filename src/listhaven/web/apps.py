from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "listhaven.web"
    label = "web"
    verbose_name = "Web archive"
