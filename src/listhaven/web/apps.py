from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "listhaven.web"
    label = "web"
    verbose_name = "Web archive"

    def ready(self) -> None:
        from listhaven.lists.signals import address_erased

        address_erased.connect(_unname_in_settings_history, dispatch_uid="web-settings-history")


def _unname_in_settings_history(*, address: str, lists, report, **_: object) -> None:  # type: ignore[no-untyped-def]
    """An erased address no longer names who changed a list's settings, nor whose name an owner
    changed: the change stays in the list's history, made by (or to) ERASED (as the lists' own
    history rows, lists/erasure.py)."""
    from django.db.models import Q

    from listhaven.lists.erasure import ERASED
    from listhaven.web.models import SettingChange

    changes = SettingChange.objects.filter(changed_by__iexact=address, mailing_list__in=lists)
    report.add("settings changes it made, unnamed", changes.update(changed_by=ERASED))
    # A member's name changed by an owner names the member in what it was and became: both go, the row stays.
    named = SettingChange.objects.filter(group="members", mailing_list__in=lists).filter(
        Q(old_value__icontains=f"<{address}>") | Q(old_value__iexact=address)
        | Q(new_value__icontains=f"<{address}>") | Q(new_value__iexact=address))  # fmt: skip
    report.add("changes to its name, blanked", named.update(old_value=ERASED, new_value=ERASED))
