"""DeliveryBatch.awaiting: copies handed over (the final '.' written) whose answer is not recorded yet."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0013_bounce_spike_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliverybatch",
            name="awaiting",
            field=models.PositiveIntegerField(
                default=0,
                help_text="recipients counted in `done` and `sent` whose copy was handed over (its final '.' "
                "written) but whose answer to it is not recorded yet",
            ),
        ),
    ]
