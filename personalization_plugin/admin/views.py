"""Admin views that are not plain model CRUD: dashboard and model page (the experiment
page and its actions are in `experiment_views`).

Every view checks its permission (403 otherwise); every action is POST-only, CSRF
protected by Django's middleware, and reports its outcome as a Wagtail message.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.log_actions import log

from personalization_plugin.admin import charts, store_report
from personalization_plugin.admin.training import current_run
from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.core.permissions import (
    MANAGE_MODELS,
    VIEW_REPORTS,
    require,
)
from personalization_plugin.experiments.metrics import store_currency
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import ModelVersion, TrainingRun
from personalization_plugin.reports import dashboard as reports
from personalization_plugin.reports import readiness, store_figures

TRAINING_PROGRESS = "personalization_plugin/admin/training_progress.html"
logger = logging.getLogger("personalization_plugin.admin")

PERIODS = store_report.PERIODS
EVENT_LABELS = {
    "view": _("Product views"),
    "cart_add": _("Cart adds"),
    "purchase": _("Order lines"),
    "impression": _("Recommendations seen"),
    "click": _("Recommendation clicks"),
}


def _choice(request: HttpRequest) -> store_report.Choice:
    return store_report.choose(request.GET, reports.rollups.today())


def dashboard(request: HttpRequest) -> HttpResponse:
    """Every figure on the page covers the same chosen period (one roll-up read)."""
    require(request.user, VIEW_REPORTS)
    choice = _choice(request)
    days = choice.length
    figures = reports.rollups.between(choice.first, choice.last)
    store = store_figures.compute(figures)
    currency = store_currency()
    day_list = figures.days
    per_type = reports.events_per_day(days, figures)
    events_chart = charts.line_chart(
        [charts.Series(str(EVENT_LABELS[t]), per_type.get(t, {})) for t in reports.TRACKED_TYPES],
        day_list,
        title=ngettext(
            "Events per day, last %(days)d day", "Events per day, last %(days)d days", days
        )
        % {"days": days},
    )
    placements = reports.ctr_by_placement(days, figures)
    ctr_chart = charts.bar_chart(
        [(p.placement.replace("_", " "), p.ctr) for p in placements],
        title=gettext("Click-through rate by placement"),
        value_format=charts.percent,
        empty_message=gettext("No recommendation impressions recorded yet."),
    )
    revenue = reports.revenue_per_day(days, figures)
    revenue_chart = charts.line_chart(
        [
            charts.Series(gettext("All orders"), {r.day: r.revenue for r in revenue}),
            charts.Series(
                gettext("After a recommendation click"), {r.day: r.attributed for r in revenue}
            ),
        ],
        day_list,
        title=gettext("Revenue per day"),
        value_format=lambda v: charts.money(v, currency),
    )
    segments = reports.segment_sizes(days)
    segment_chart = charts.bar_chart(
        segments.latest[:12],
        title=gettext("Segment sizes"),
        empty_message=(
            gettext("No segment sizes recorded yet: run `manage.py personalization_segments`.")
            if segments.available
            else gettext("Segments are not installed.")
        ),
    )
    health = reports.data_health(days, figures)
    consent = reports.consent()
    consent_chart = charts.bar_chart(
        [(gettext("Granted"), consent.granted), (gettext("Declined"), consent.denied)]
        if consent.granted + consent.denied
        else [],
        title=gettext("Consent choices"),
        empty_message=gettext("No consent choices recorded yet."),
    )
    total_revenue = figures.total_revenue
    attributed = figures.attributed_revenue
    context = {
        "page_title": gettext("Personalization dashboard"),
        "header_icon": "view",
        "days": days,
        "choice": choice,
        "periods": PERIODS,
        "store": store,
        "store_headline": store_report.headline(store, currency),
        "store_tables": store_report.tables(store, currency),
        "definitions": store_report.DEFINITIONS,
        "events_chart": events_chart,
        "ctr_chart": ctr_chart,
        "revenue_chart": revenue_chart,
        "segment_chart": segment_chart,
        "consent_chart": consent_chart,
        "placements": placements,
        "readiness": readiness.placements(),
        "health": health,
        "consent": consent,
        "total_revenue": charts.money(total_revenue, currency),
        "attributed_revenue": charts.money(attributed, currency),
        "attributed_share": charts.percent(attributed / total_revenue) if total_revenue else None,
        "attribution_days": reports.rollups.ATTRIBUTION_DAYS,
        "missing_days": len(figures.missing_days),
        "model": reports.active_model(),
        "experiments": Experiment.objects.filter(status=Experiment.Status.RUNNING),
    }
    return TemplateResponse(request, "personalization_plugin/admin/dashboard.html", context)


def figures_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One store-wide table of the chosen period as CSV (the same rows as the page)."""
    require(request.user, VIEW_REPORTS)
    choice = _choice(request)
    store = store_figures.compute(reports.rollups.between(choice.first, choice.last))
    found = {t.slug: t for t in store_report.tables(store)}
    if table not in found:
        raise Http404(gettext("No such table."))
    response = HttpResponse(found[table].csv(), content_type="text/csv; charset=utf-8")
    name = f"{table}-{choice.first.isoformat()}-{choice.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def models_page(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW_REPORTS, MANAGE_MODELS)
    from personalization_plugin.admin.model_report import report

    versions = list(ModelVersion.objects.order_by("-created_at")[:20])
    active = next((v for v in versions if v.is_active), None)
    latest = versions[0] if versions else None
    context = {
        "page_title": gettext("Recommendation models"),
        "header_icon": "cogs",
        "active": active,
        "active_report": report(active) if active is not None else None,
        # the newest version when the quality gate kept it inactive, so the owner sees why
        "refused": latest
        if latest is not None
        and latest is not active
        and not (latest.metrics or {}).get("gate", {}).get("activate", True)
        else None,
        "refused_report": None,
        "versions": [(v, report(v)) for v in versions],
        "can_manage": request.user.has_perm(MANAGE_MODELS),
        "training_run": current_run(),
    }
    if context["refused"] is not None:
        context["refused_report"] = report(context["refused"])
    return TemplateResponse(request, "personalization_plugin/admin/models.html", context)


def training_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of one "Train now" run, polled by the model page (htmx) while it runs."""
    require(request.user, VIEW_REPORTS, MANAGE_MODELS)
    run = get_object_or_404(TrainingRun, pk=pk)
    response = TemplateResponse(request, TRAINING_PROGRESS, {"training_run": run, "polled": True})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def model_action(request: HttpRequest, action: str) -> HttpResponse:
    """Train now, evaluate, roll back or activate a version (POST, manage_models)."""
    require(request.user, MANAGE_MODELS)
    try:
        text = _run_model_action(request, action)
    except (ModelVersion.DoesNotExist, ValueError):
        messages.error(request, gettext("That model version does not exist (any more)."))
    except PersonalizationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, text)
    return redirect("personalization_admin:models")


def _run_model_action(request: HttpRequest, action: str) -> str:
    from personalization_plugin.engine import registry

    if action == "train":
        from personalization_plugin.admin.training import start_training

        _run, started = start_training(request.user)
        if not started:
            return gettext("Training is already under way; its progress is shown below.")
        return gettext("Training started in the background; its progress is shown below.")
    if action == "evaluate":
        from personalization_plugin.admin.tasks import evaluate_models

        result = evaluate_models.enqueue()
        return _task_outcome(
            result,
            lambda value: gettext("Evaluation finished: see the comparison below."),
            gettext("Evaluation queued; results appear here when the worker finishes it."),
        )
    if action == "rollback":
        mv = registry.rollback()
        log(instance=mv, action="personalization.model.rollback", user=request.user)
        return gettext("Rolled back: %(version)s is active again.") % {"version": mv.version}
    if action == "activate":
        mv = registry.activate(ModelVersion.objects.get(pk=request.POST.get("version", "")))
        log(instance=mv, action="personalization.model.activate", user=request.user)
        return gettext("%(version)s is now active.") % {"version": mv.version}
    raise PersonalizationError(f"Unknown model action {action!r}.")


def _task_outcome(result: Any, done: Any, queued: str) -> str:
    """A message for an enqueued task: finished already (immediate backend) or queued."""
    from django_tasks.base import TaskResultStatus

    if result.status == TaskResultStatus.SUCCESSFUL:
        return str(done(result.return_value))
    if result.status == TaskResultStatus.FAILED:
        last = result.errors[-1].traceback.strip().splitlines()[-1] if result.errors else ""
        reason = last.split(": ", 1)[-1] if ": " in last else "see the worker log"
        raise PersonalizationError(f"{result.task.name} failed: {reason}")
    return queued
