from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('personalization', '0005_erased_shoppers'),
    ]

    # The segments, scores, triggers and experiments models moved to apps of their own.
    # Their tables stay as they are (the new apps name them in Meta.db_table): only
    # Django's idea of which app owns them changes, so nothing is copied or lost.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='Experiment',
                ),
                migrations.DeleteModel(
                    name='PopulationStats',
                ),
                migrations.DeleteModel(
                    name='ScoreModel',
                ),
                migrations.RemoveField(
                    model_name='segmentsize',
                    name='segment',
                ),
                migrations.DeleteModel(
                    name='TriggerFiring',
                ),
                migrations.DeleteModel(
                    name='Segment',
                ),
                migrations.DeleteModel(
                    name='SegmentSize',
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelOptions(
            name='modelversion',
            options={'get_latest_by': 'created_at', 'ordering': ['-created_at'], 'permissions': [('manage_models', 'Can train, evaluate and roll back recommendation models')]},
        ),
    ]
