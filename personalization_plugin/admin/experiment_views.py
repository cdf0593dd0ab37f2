"""The experiment page: what an owner needs to decide, in plain words, and its actions.

The page leads with the decision on the primary metric (fixed horizon: "not enough data
yet" until the planned number of people saw the placement), warns loudly on a broken
split, shows lifts as percentages with their 95 % interval and money in the store's
currency, and offers no default choice when shipping. An experiment nobody has seen
yet shows only what to do next.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.log_actions import log

from personalization_plugin.admin import charts
from personalization_plugin.admin.model_report import integer
from personalization_plugin.core.permissions import (
    CHANGE_EXPERIMENTS,
    VIEW_EXPERIMENTS,
    VIEW_REPORTS,
    require,
)
from personalization_plugin.experiments.bucketing import CONTROL, TREATMENT
from personalization_plugin.experiments.metrics import METRIC_ORDER, ExperimentResult, analyse
from personalization_plugin.experiments.models import Experiment, Metric
from personalization_plugin.experiments.planning import plan

METRIC_LABELS: dict[str, Any] = {
    Metric.CONVERSION_RATE: _("Conversion rate"),
    Metric.REVENUE_PER_VISITOR: _("Revenue per visitor"),
    Metric.ADD_TO_CART_RATE: _("Add-to-cart rate"),
    Metric.CTR: _("Click-through rate"),
    Metric.AVERAGE_ORDER_VALUE: _("Average order value"),
}
METRIC_HELP: dict[str, Any] = {
    Metric.CONVERSION_RATE: _("Share of people who saw the placement and placed an order."),
    Metric.REVENUE_PER_VISITOR: _(
        "All order revenue of those people divided by their number (non-buyers count as 0)."
    ),
    Metric.ADD_TO_CART_RATE: _("Share of people who saw the placement and added to the cart."),
    Metric.CTR: _("Clicks on the placement per impression, tested per person (delta method)."),
    Metric.AVERAGE_ORDER_VALUE: _("Revenue per order, among the people who ordered."),
}
MONEY_METRICS = (Metric.REVENUE_PER_VISITOR, Metric.AVERAGE_ORDER_VALUE)


def _value(metric: str, value: float, currency: str) -> str:
    return charts.money(value, currency) if metric in MONEY_METRICS else charts.percent(value)


def metric_rows(result: ExperimentResult) -> list[dict[str, Any]]:
    """One row per metric: per-arm values, and lift, interval and p-value at the horizon."""
    rows = []
    show = result.horizon_reached and not result.srm.mismatch
    for metric in METRIC_ORDER:
        est = result.estimates[metric]
        raw_c = getattr(result.control, metric)
        raw_t = getattr(result.treatment, metric)
        row: dict[str, Any] = {
            "metric": metric,
            "label": METRIC_LABELS[metric],
            "help": METRIC_HELP[metric],
            "primary": metric == result.design.primary_metric,
            "control": _value(metric, raw_c, result.currency),
            "treatment": _value(metric, raw_t, result.currency),
            "shown": show and est.testable,
            "significant": show and est.significant,
            "better": est.difference is not None and est.difference > 0,
            "cuped": est.cuped,
        }
        if row["shown"] and est.lift is not None:
            row["lift"] = charts.signed_percent(est.lift)
            if est.lift_low is not None and est.lift_high is not None:
                row["interval"] = (
                    f"{charts.signed_percent(est.lift_low)} … "
                    f"{charts.signed_percent(est.lift_high)}"
                )
        if row["shown"]:
            p = est.adjusted_p if est.adjusted_p is not None else est.p_value
            row["p_value"] = charts.p_value(p) if p is not None else ""
        rows.append(row)
    return rows


def decision_text(result: ExperimentResult) -> str:
    """The decision in one sentence an owner can act on."""
    primary = METRIC_LABELS[result.design.primary_metric]
    est = result.primary
    code = result.decision
    if code == "empty":
        return gettext("No one has seen this placement since the experiment started.")
    if code == "mismatch":
        srm = result.srm
        return gettext(
            "Do not use these results: the split is broken. Control got %(observed)s of "
            "the people, but %(designed)s was designed (a gap this large happens by chance "
            "in fewer than 1 in 1,000 experiments)."
        ) % {
            "observed": charts.percent(srm.observed_control_share or 0.0),
            "designed": charts.percent(srm.expected_control_share),
        }
    if code == "unplanned":
        return gettext(
            "No sample size is planned: there was too little history before the start. "
            "Enter a baseline rate (Edit) so the experiment knows when it has enough data."
        )
    if code == "collecting":
        return gettext(
            "Not enough data yet: %(people)s of %(planned)s visitors. The result is shown "
            "once %(planned)s people have seen the placement; looking earlier and stopping "
            "at a good day would make chance look like a win."
        ) % {"people": integer(result.people), "planned": integer(result.planned_visitors or 0)}
    interval = ""
    if est.lift_low is not None and est.lift_high is not None:
        interval = gettext(" (95%% interval %(low)s to %(high)s)") % {
            "low": charts.signed_percent(est.lift_low),
            "high": charts.signed_percent(est.lift_high),
        }
    lift = charts.signed_percent(est.lift) if est.lift is not None else ""
    if code == "treatment_better":
        return gettext(
            "Treatment is better on the primary metric, %(metric)s: %(lift)s%(interval)s."
        ) % {"metric": primary.lower(), "lift": lift, "interval": interval}
    if code == "control_better":
        return gettext(
            "Control is better on the primary metric, %(metric)s: treatment is %(lift)s"
            "%(interval)s. Keep the control."
        ) % {"metric": primary.lower(), "lift": lift, "interval": interval}
    return gettext(
        "No detectable difference on the primary metric, %(metric)s: %(lift)s%(interval)s. "
        "Any real effect is likely smaller than the %(mde)s%% this experiment was sized for."
    ) % {
        "metric": primary.lower(),
        "lift": lift,
        "interval": interval,
        "mde": result.experiment.minimum_detectable_effect if result.experiment else "",
    }


def next_steps(experiment: Experiment) -> str:
    """What an owner does with an experiment that has no data yet."""
    if experiment.status == Experiment.Status.DRAFT:
        return gettext(
            "Start the experiment to begin: visitors are then split and the results "
            "appear here as they see the placement."
        )
    return gettext(
        "Check that the %(placement)s placement is on a storefront page and that "
        "visitors allow personalization; results appear once people see it."
    ) % {"placement": experiment.get_placement_display()}


def experiment_results(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, VIEW_EXPERIMENTS, CHANGE_EXPERIMENTS, VIEW_REPORTS)
    experiment = get_object_or_404(Experiment, pk=pk)
    result = analyse(experiment)
    context = {
        "page_title": gettext("Experiment: %(name)s") % {"name": experiment.name},
        "header_icon": "resubmit",
        "experiment": experiment,
        "result": result,
        "decision": result.decision,
        "decision_text": decision_text(result),
        "next_steps": next_steps(experiment),
        "rows": metric_rows(result) if result.people else [],
        "primary_label": METRIC_LABELS[experiment.primary_metric],
        "money": {
            "revenue": (
                charts.money(result.control.revenue, result.currency),
                charts.money(result.treatment.revenue, result.currency),
            ),
            "attributed": (
                charts.money(result.control.attributed_revenue, result.currency),
                charts.money(result.treatment.attributed_revenue, result.currency),
            ),
        },
        "progress": (
            min(100, round(100 * result.people / result.planned_visitors))
            if result.planned_visitors
            else None
        ),
        "planned": integer(result.planned_visitors) if result.planned_visitors else "",
        "can_change": request.user.has_perm(CHANGE_EXPERIMENTS),
        "winner_choices": [
            (CONTROL, experiment.get_control_strategy_display()),
            (TREATMENT, experiment.get_treatment_strategy_display()),
        ],
    }
    return TemplateResponse(
        request, "personalization_plugin/admin/experiment_results.html", context
    )


@require_POST
def experiment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Start, stop or ship the winner of an experiment (POST, change_experiment)."""
    require(request.user, CHANGE_EXPERIMENTS)
    experiment = get_object_or_404(Experiment, pk=pk)
    back = redirect("personalization_admin:experiment_results", pk=pk)
    now = timezone.now()
    if action == "start" and experiment.status == Experiment.Status.DRAFT:
        clash = Experiment.objects.filter(
            placement=experiment.placement,
            status__in=[Experiment.Status.RUNNING, Experiment.Status.SHIPPED],
        ).exclude(pk=experiment.pk)
        if clash.exists():
            messages.error(
                request,
                gettext("%(experiment)s already runs on this placement; stop it first.")
                % {"experiment": clash.first()},
            )
            return back
        planned = plan(experiment, now)
        if planned is None:
            messages.error(
                request,
                gettext(
                    "Cannot plan this experiment: there is too little history before today "
                    "to know how many visitors it needs. Edit it and enter a baseline rate "
                    "for the primary metric (for example 0.03 for 3%), then start it."
                ),
            )
            return back
        experiment.status, experiment.started_at = Experiment.Status.RUNNING, now
        experiment.planned_visitors = planned
    elif action == "stop" and experiment.status in (
        Experiment.Status.RUNNING,
        Experiment.Status.SHIPPED,
    ):
        experiment.status = Experiment.Status.STOPPED
        experiment.ended_at = experiment.ended_at or now
    elif action == "ship" and experiment.status in (
        Experiment.Status.RUNNING,
        Experiment.Status.STOPPED,
    ):
        winner = request.POST.get("winner", "")
        if winner not in (CONTROL, TREATMENT):
            messages.error(request, gettext('Choose the winner to ship: "control" or "treatment".'))
            return back
        experiment.status, experiment.winner = Experiment.Status.SHIPPED, winner
        experiment.ended_at = experiment.ended_at or now
    else:
        messages.error(
            request,
            gettext("Cannot %(action)s an experiment that is %(status)s.")
            % {"action": action, "status": experiment.get_status_display().lower()},
        )
        return back
    experiment.save()
    log(instance=experiment, action=f"personalization.experiment.{action}", user=request.user)
    messages.success(
        request,
        gettext("%(name)s: %(status)s.")
        % {"name": experiment.name, "status": experiment.get_status_display().lower()},
    )
    return back
