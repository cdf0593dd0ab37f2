"""Background task behind the model page's "Evaluate" button ("Train now": admin.training)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def evaluate_models(k: int = 10) -> dict[str, Any]:
    """Compare the shipped recipe with baselines on a time split of the stored events.

    The results are saved on the active ModelVersion (metrics["comparison"]) so the
    model page can show them. Returns the same dict.
    """
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.core.exceptions import PersonalizationError
    from personalization_plugin.engine.builder import BuildParams
    from personalization_plugin.engine.evaluation import build_cases, compare, time_split
    from personalization_plugin.engine.interactions import load_events
    from personalization_plugin.models import ModelVersion

    split = time_split(load_events())
    if split is None:
        raise PersonalizationError("Not enough events to split by time; track more events first.")
    params = BuildParams.from_settings(None)
    cases = build_cases(
        split,
        plugin_settings.EVENT_WEIGHTS,
        plugin_settings.HALF_LIFE_DAYS,
        recency_decay=params.recency_decay,
    )
    if len(cases) == 0:
        raise PersonalizationError("The newest events share no shoppers with the older ones yet.")
    results = compare(cases, params, k=k)
    comparison = {
        name: {key: value for key, value in metrics.items() if isinstance(value, int | float)}
        for name, metrics in results.items()
    }
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        active.metrics = {**active.metrics, "comparison": comparison, "comparison_k": k}
        active.save(update_fields=["metrics"])
    return comparison
