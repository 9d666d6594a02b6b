from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "listhaven.web"
    label = "web"
    verbose_name = "Web archive"

    def ready(self) -> None:
        from listhaven.lists.signals import address_erased

        address_erased.connect(_unname_in_settings_history, dispatch_uid="web-settings-history")


def _unname_in_settings_history(*, address: str, lists, report, **_: object) -> None:  # type: ignore[no-untyped-def]
    """An erased address no longer names who changed a list's settings: the change stays in the
    list's history, made by ERASED (as the lists' own history rows, lists/erasure.py)."""
    from listhaven.lists.erasure import ERASED
    from listhaven.web.models import SettingChange

    changes = SettingChange.objects.filter(changed_by__iexact=address, mailing_list__in=lists)
    report.add("settings changes it made, unnamed", changes.update(changed_by=ERASED))
