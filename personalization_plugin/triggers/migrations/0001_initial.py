import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('personalization', '0006_move_feature_models'),
    ]

    # The tables were created by the core app's migrations (0003, 0002 for experiments)
    # before these models had an app of their own: this app only takes them over.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TriggerFiring',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('abandoned_cart', 'Abandoned cart'), ('browse_abandonment', 'Browse abandonment'), ('win_back', 'Win-back')], max_length=24)),
                        ('subject', models.CharField(db_index=True, max_length=140)),
                        ('idempotency_key', models.CharField(max_length=64, unique=True)),
                        ('fired_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('payload', models.JSONField(default=dict)),
                        ('delivery', models.CharField(blank=True, choices=[('', 'No webhook configured'), ('delivered', 'Delivered'), ('failed', 'Failed after retries')], default='', max_length=12)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.CharField(blank=True, max_length=300)),
                    ],
                    options={
                        'db_table': 'personalization_triggerfiring',
                        'ordering': ['-fired_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
