import django.db.models.deletion
import django.utils.timezone
import personalization_plugin.segments.models
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
                    name='PopulationStats',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('computed_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('data', models.JSONField(default=dict)),
                    ],
                    options={
                        'verbose_name_plural': 'population stats',
                        'db_table': 'personalization_populationstats',
                        'get_latest_by': 'computed_at',
                    },
                ),
                migrations.CreateModel(
                    name='Segment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('slug', models.SlugField(max_length=60, unique=True)),
                        ('description', models.TextField(blank=True)),
                        ('enabled', models.BooleanField(default=True)),
                        ('priority', models.IntegerField(default=0, help_text='Higher wins when a shopper is in several segments.')),
                        ('rules', models.JSONField(help_text='Rule tree, e.g. {"all": [{"rule": "repeat_buyer"}, {"not": {"rule": "lapsed"}}]}', validators=[personalization_plugin.segments.models.validate_rules])),
                        ('builtin', models.BooleanField(default=False, editable=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'personalization_segment',
                        'ordering': ['-priority', 'slug'],
                    },
                ),
                migrations.CreateModel(
                    name='SegmentSize',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField()),
                        ('size', models.PositiveIntegerField()),
                        ('population', models.PositiveIntegerField(help_text='Shoppers evaluated')),
                        ('context_dependent', models.BooleanField(default=False, help_text='Uses request rules (device, UTM...): size counts without them')),
                        ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('segment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sizes', to='personalization_segments.segment')),
                    ],
                    options={
                        'db_table': 'personalization_segmentsize',
                        'ordering': ['date', 'segment'],
                        'constraints': [models.UniqueConstraint(fields=('segment', 'date'), name='sp_segment_size_per_day')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
