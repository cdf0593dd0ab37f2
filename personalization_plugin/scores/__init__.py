"""Customer scores: churn risk and purchase propensity, by logistic regression on RFM and
engagement features. `scores.model.metrics()` gives the latest evaluation for reports."""
