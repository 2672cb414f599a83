"""Hypothesis profiles (SymPy's habit): "dev" for local runs, "ci" derandomized, no deadlines."""

import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("dev", deadline=None, max_examples=50)
settings.register_profile(
    "ci", deadline=None, max_examples=50, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def one_thread():
    """One torch thread for tiny models: more threads only contend on a 2-core machine."""
    from numerics.train import threads

    with threads(1):
        yield
