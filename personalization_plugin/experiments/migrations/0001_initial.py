import django.core.validators
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
                    name='Experiment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('placement', models.CharField(choices=[('for_you', 'For you'), ('similar', 'Similar'), ('bought_together', 'Bought together'), ('cart', 'Cart')], max_length=32)),
                        ('control_strategy', models.CharField(choices=[('personalized', 'Personalized (the active model)'), ('baseline', 'Baseline: popular / trending, not personalized'), ('challenger', 'Personalized by the challenger model version (below)')], default='baseline', max_length=16)),
                        ('treatment_strategy', models.CharField(choices=[('personalized', 'Personalized (the active model)'), ('baseline', 'Baseline: popular / trending, not personalized'), ('challenger', 'Personalized by the challenger model version (below)')], default='personalized', max_length=16)),
                        ('holdout_percent', models.PositiveSmallIntegerField(default=10, help_text='Share of visitors (1-50 %) held out in the control arm.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(50)])),
                        ('challenger_version', models.CharField(blank=True, help_text='For the challenger strategy: a trained model version (e.g. one trained with another algorithm), served to that arm while the active model serves the rest.', max_length=64)),
                        ('attribution_days', models.PositiveSmallIntegerField(default=7, help_text='An order counts as caused by a recommendation when it contains a recommended item the shopper clicked at most this many days before.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)])),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('running', 'Running'), ('stopped', 'Stopped'), ('shipped', 'Shipped (everyone gets the winner)')], default='draft', max_length=8)),
                        ('winner', models.CharField(blank=True, help_text='"control" or "treatment"', max_length=16)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('note', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'personalization_experiment',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
