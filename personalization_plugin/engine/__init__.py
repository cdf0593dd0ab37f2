"""Recommendation engine: from stored events to trained, versioned model artifacts."""
