"""Wired in `ExperimentsConfig.ready()`: a saved or deleted experiment is re-read at once."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def forget_experiments(**kwargs: Any) -> None:
    from personalization_plugin.experiments.bucketing import forget

    forget()


def connect() -> None:
    from personalization_plugin.experiments.models import Experiment

    post_save.connect(forget_experiments, sender=Experiment, dispatch_uid="sp-experiments-save")
    post_delete.connect(forget_experiments, sender=Experiment, dispatch_uid="sp-experiments-del")
