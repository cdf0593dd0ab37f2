"""A/B tests with a holdout: which arm a visitor gets, and what each arm earned.

    from personalization_plugin.experiments.bucketing import assign
    arm = assign(request.visitor, "for_you")   # None outside any experiment
    if arm and arm.serves_baseline: ...        # serve the popular/trending list

`bucketing` assigns arms (deterministic, sticky, nothing stored), `attribution` links
orders to recommendation clicks, `metrics` aggregates stored events per arm and
`statistics` says whether the difference is more than noise.
"""
