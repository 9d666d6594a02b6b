from listhaven.lists.models.mailing_list import MailingList

__all__ = ["MailingList"]
