"""First step of moving MailingList to the `lists` app: its table takes the name the `lists` app gives it.

The rows stay where they are; SQLite (3.26+) and PostgreSQL carry the foreign keys of the archive's tables over
to the renamed table. lists.0001 then declares the model in `lists`, and archive.0007 points the archive's
foreign keys at it and forgets its own copy.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_message_redaction")]
    operations = [migrations.AlterModelTable(name="mailinglist", table="lists_mailinglist")]
