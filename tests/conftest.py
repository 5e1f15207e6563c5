import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests are derandomized so that CI is reproducible: a failure is a real one.
settings.register_profile(
    "creditsim",
    derandomize=True,
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "creditsim"))


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
