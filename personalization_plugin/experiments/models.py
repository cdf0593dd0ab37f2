"""The experiment a store owner runs on one placement: control arm vs treatment arm."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personalization_plugin.core.placements import Placement

# The placements whose lists differ between personalized and non-personalized serving
# ("trending" and "category_top" are the same for everyone; "recently_viewed" only
# replays a shopper's own history).
EXPERIMENT_PLACEMENTS: tuple[Placement, ...] = (
    Placement.FOR_YOU,
    Placement.SIMILAR,
    Placement.BOUGHT_TOGETHER,
    Placement.CART,
)


class Metric(models.TextChoices):
    """What an experiment can be judged on; every one is measured per person."""

    CONVERSION_RATE = "conversion_rate", _("Conversion rate (share of visitors who order)")
    REVENUE_PER_VISITOR = "revenue_per_visitor", _("Revenue per visitor")
    ADD_TO_CART_RATE = "add_to_cart_rate", _("Add-to-cart rate (share of visitors)")
    CTR = "ctr", _("Click-through rate on the placement")
    AVERAGE_ORDER_VALUE = "average_order_value", _("Average order value")


class Experiment(models.Model):
    """An A/B test on one placement with a holdout.

    `holdout_percent` of the visitors (chosen by a hash of experiment id and visitor id,
    so the choice is sticky and needs no storage) get the control arm; the rest get the
    treatment arm. Results are derived from stored events by re-computing that hash.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        STOPPED = "stopped", _("Stopped")
        SHIPPED = "shipped", _("Shipped (everyone gets the winner)")

    class Strategy(models.TextChoices):
        PERSONALIZED = "personalized", _("Personalized (the active model)")
        BASELINE = "baseline", _("Baseline: popular / trending, not personalized")
        CHALLENGER = "challenger", _("Personalized by the challenger model version (below)")

    name = models.CharField(max_length=100)
    placement = models.CharField(
        max_length=32,
        choices=[(p.value, p.label) for p in EXPERIMENT_PLACEMENTS],
    )
    control_strategy = models.CharField(
        max_length=16, choices=Strategy.choices, default=Strategy.BASELINE
    )
    treatment_strategy = models.CharField(
        max_length=16, choices=Strategy.choices, default=Strategy.PERSONALIZED
    )
    holdout_percent = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Share of visitors (1-50 %) held out in the control arm."),
    )
    challenger_version = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "For the challenger strategy: a trained model version (e.g. one trained with "
            "another algorithm), served to that arm while the active model serves the rest."
        ),
    )
    attribution_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "An order counts as caused by a recommendation when it contains a "
            "recommended item the shopper clicked at most this many days before."
        ),
    )
    primary_metric = models.CharField(
        max_length=24,
        choices=Metric.choices,
        default=Metric.CONVERSION_RATE,
        help_text=_(
            "The one metric that decides the experiment, chosen before it starts. The "
            "others are shown too, corrected for testing several at once."
        ),
    )
    minimum_detectable_effect = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "The smallest relative change of the primary metric (in %) worth detecting. "
            "Smaller effects need more visitors before the result is shown."
        ),
    )
    baseline_rate = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0001), MaxValueValidator(0.9999)],
        help_text=_(
            "Optional: the primary rate you expect without the change (e.g. 0.03 for 3 %), "
            "used to plan the sample size when there is no history before the start."
        ),
    )
    planned_visitors = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Visitors (both arms) needed before the result is shown; set at start."),
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    winner = models.CharField(max_length=16, blank=True, help_text=_('"control" or "treatment"'))
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        db_table = "personalization_experiment"

    def __str__(self) -> str:
        return f"{self.name} ({self.placement}, {self.get_status_display().lower()})"

    def clean(self) -> None:
        if self.control_strategy == self.treatment_strategy:
            raise ValidationError(
                {
                    "treatment_strategy": "Pick a different strategy for each arm, or there is nothing to compare."
                }
            )
        if self.Strategy.CHALLENGER in (self.control_strategy, self.treatment_strategy):
            from personalization_plugin.models import ModelVersion

            if not self.challenger_version:
                raise ValidationError(
                    {"challenger_version": "Name the model version the challenger arm is served."}
                )
            if not ModelVersion.objects.filter(version=self.challenger_version).exists():
                raise ValidationError(
                    {
                        "challenger_version": f"No trained model version is called "
                        f"{self.challenger_version!r}; copy one from the Models page."
                    }
                )
        if self.status in (self.Status.RUNNING, self.Status.SHIPPED):
            clash = Experiment.objects.filter(
                placement=self.placement, status__in=[self.Status.RUNNING, self.Status.SHIPPED]
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"placement": f"{clash.first()} already runs on this placement; stop it first."}
                )


class Enrollment(models.Model):
    """A signed-in customer's arm, pinned when they signed in.

    Anonymous visitors are bucketed by visitor id, signed-in customers by customer id.
    When a visitor signs in, the arm they were already served is pinned to the customer,
    so the person keeps it on every device. `person` is a keyed digest of the customer
    subject (`core.subjects.digest`), never the id itself.
    """

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    person = models.CharField(max_length=32)
    arm = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "personalization_experiment_enrollment"
        constraints = [
            models.UniqueConstraint(fields=["experiment", "person"], name="sp_enrollment_once")
        ]


# Daily roll-ups of the stored events, read by the dashboard and the admin home instead
# of scanning events on every page load. They live in this app because it owns all
# measurement storage; `reports.rollups` writes and reads them.


class RollupDay(models.Model):
    """A day whose roll-up rows are complete, and when they were computed."""

    day = models.DateField(primary_key=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "personalization_rollup_day"


class DailyRollup(models.Model):
    """Events of one type (and placement, for impressions and clicks) on one day.

    For purchases: `revenue` is the sum of line totals, `attributed_revenue` the part
    that followed a recommendation click on the same product by the same person at
    most ATTRIBUTION_DAYS before (the one definition every report page uses).
    """

    day = models.DateField(db_index=True)
    type = models.CharField(max_length=16)
    placement = models.CharField(max_length=32, blank=True)
    events = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    attributed_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        db_table = "personalization_rollup"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "type", "placement"], name="sp_rollup_day_type_placement"
            )
        ]


class DailyActivity(models.Model):
    """One row per person active on a day, so distinct visitors over any period can be
    counted without the events table. `person` is a keyed digest, never the id.

    The counters are what the store-wide figures need per person (funnel steps, orders,
    order lines' units and revenue); `held_out` says the person was in the control arm
    of an experiment running that day (served the non-personalized baseline)."""

    day = models.DateField()
    person = models.CharField(max_length=24)
    views = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)
    checkouts = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    held_out = models.BooleanField(default=False)

    class Meta:
        db_table = "personalization_rollup_activity"
        constraints = [
            models.UniqueConstraint(fields=["day", "person"], name="sp_rollup_activity_once")
        ]
        # "was this person active earlier in the period?" for today's people
        indexes = [
            models.Index(fields=["person", "day"], name="sp_rollup_activity_person"),
            # the buyers' rows (a few percent) for cohorts, churn and lifetime value
            models.Index(
                fields=["day"], condition=models.Q(orders__gt=0), name="sp_rollup_activity_buyers"
            ),
        ]


class DailyShown(models.Model):
    """Recommendation impressions per product and day (catalog coverage over a period)."""

    day = models.DateField()
    product_id = models.CharField(max_length=128)
    impressions = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "personalization_rollup_shown"
        constraints = [
            models.UniqueConstraint(fields=["day", "product_id"], name="sp_rollup_shown_once")
        ]


class DailySearch(models.Model):
    """Searches per normalised query text and day, and how many found nothing."""

    day = models.DateField()
    query = models.CharField(max_length=200)
    searches = models.PositiveIntegerField(default=0)
    no_results = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "personalization_rollup_search"
        constraints = [
            models.UniqueConstraint(fields=["day", "query"], name="sp_rollup_search_once")
        ]


class DailyProduct(models.Model):
    """Product views and order lines (and units) per product and day."""

    day = models.DateField()
    product_id = models.CharField(max_length=128)
    views = models.PositiveIntegerField(default=0)
    order_lines = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "personalization_rollup_product"
        constraints = [
            models.UniqueConstraint(fields=["day", "product_id"], name="sp_rollup_product_once")
        ]


# Per-person roll-up of each experiment, read by the results page instead of scanning
# the events of the experiment's window on every load; `person_rollup` maintains it.


class ExposedPerson(models.Model):
    """One person exposed to an experiment, with the sums the analysis needs.

    The same per-person columns `exposed.people` reads from the events (during the
    experiment's window, and the PRE_DAYS before it for CUPED), recomputed whenever one
    of the person's events is stored, so the page reads these rows only. `person` is a
    keyed digest of the person key (for a customer the same digest as `Enrollment`),
    never the id; `in_control` is the arm the person was served.
    """

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    person = models.CharField(max_length=32)
    in_control = models.BooleanField()
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    carts = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.FloatField(default=0.0)
    attributed = models.FloatField(default=0.0)
    pre_carts = models.PositiveIntegerField(default=0)
    pre_orders = models.PositiveIntegerField(default=0)
    pre_revenue = models.FloatField(default=0.0)

    class Meta:
        db_table = "personalization_experiment_person"
        constraints = [
            models.UniqueConstraint(fields=["experiment", "person"], name="sp_exposed_once")
        ]


class ExposureRollup(models.Model):
    """How far an experiment's `ExposedPerson` rows are up to date.

    `stored_until`: every event stored before it is counted (the next refresh reads the
    people of events stored since). `basis` names what the rows were computed for
    (window start, placement, split, attribution window): when the owner changes any
    of those (e.g. a draft is started), the rows are rebuilt.
    """

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    basis = models.CharField(max_length=200, blank=True)
    stored_until = models.DateTimeField(null=True)
    # ids of the events stored in the LAG before `stored_until` that are counted: the
    # next refresh re-reads that stretch for late commits, and skips these
    recent = models.JSONField(default=list)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "personalization_experiment_rollup"


class StalePerson(models.Model):
    """A person whose stored events changed without new events being stored (a visitor
    merged into a customer): recounted by the experiment's next roll-up refresh, then
    deleted.

    Holds the person key in clear because the recount must find the person's events
    by id; the row lives only until the next refresh, and erasure deletes it."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    person = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "personalization_experiment_stale_person"
        constraints = [
            models.UniqueConstraint(fields=["experiment", "person"], name="sp_stale_once")
        ]
