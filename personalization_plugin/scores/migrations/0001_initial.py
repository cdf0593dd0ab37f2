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
                    name='ScoreModel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('churn_risk', 'Churn risk'), ('purchase_propensity', 'Purchase propensity')], db_index=True, max_length=24)),
                        ('features', models.JSONField(default=list, help_text='Feature names, in coefficient order')),
                        ('coefficients', models.JSONField(default=list, help_text='Per standardized feature')),
                        ('intercept', models.FloatField(default=0.0)),
                        ('means', models.JSONField(default=list)),
                        ('scales', models.JSONField(default=list)),
                        ('metrics', models.JSONField(default=dict, help_text='auc, baseline_auc, sizes, cutoffs')),
                        ('trained_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'personalization_scoremodel',
                        'ordering': ['-trained_at', '-pk'],
                        'get_latest_by': 'trained_at',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
