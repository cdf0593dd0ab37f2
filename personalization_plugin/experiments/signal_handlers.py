"""Wired in `ExperimentsConfig.ready()`: a saved or deleted experiment is re-read at once,
and a visitor who signs in keeps their arm."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def forget_experiments(**kwargs: Any) -> None:
    from personalization_plugin.experiments.bucketing import forget

    forget()


def carry_over_arms(visitor_id: str = "", customer_id: str = "", **kwargs: Any) -> None:
    """On sign-in the customer keeps the arm their anonymous visit was served."""
    from personalization_plugin.experiments.bucketing import carry_over

    carry_over(visitor_id, customer_id)


def recount_merged(visitor_id: str = "", customer_id: str = "", **kwargs: Any) -> None:
    """A merge moves stored events from the visitor to the customer without storing new
    ones: both people are recounted by the experiments' next roll-up refresh."""
    from personalization_plugin.experiments.bucketing import person_key
    from personalization_plugin.experiments.person_rollup import mark_stale

    if visitor_id and customer_id:
        mark_stale([person_key(visitor_id), person_key(visitor_id, customer_id)])


def erase_exposures(subjects: set[str]) -> int:
    """Eraser: an erased shopper's experiment roll-up rows go with their events."""
    from personalization_plugin.experiments.person_rollup import erase

    return erase(subjects)


def connect() -> None:
    from personalization_plugin import signals
    from personalization_plugin.core import registry
    from personalization_plugin.experiments.models import Experiment

    post_save.connect(forget_experiments, sender=Experiment, dispatch_uid="sp-experiments-save")
    post_delete.connect(forget_experiments, sender=Experiment, dispatch_uid="sp-experiments-del")
    signals.visitor_merged.connect(carry_over_arms, dispatch_uid="sp-experiments-carry-over")
    signals.visitor_merged.connect(recount_merged, dispatch_uid="sp-experiments-recount")
    registry.register_eraser(erase_exposures)
