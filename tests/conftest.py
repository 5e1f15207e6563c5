import os
from pathlib import Path

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


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_code():
    """Free the compiled kernels after a test module once the process holds many: each XLA
    CPU executable maps its code into memory, and a process holding the whole suite's
    passes the kernel's limit on memory maps (vm.max_map_count, 65,530 by default) and
    crashes in a later compile (seen: a segmentation fault in XLA's compiler)."""
    yield
    maps = Path("/proc/self/maps")
    if maps.exists() and sum(1 for _ in maps.open()) < 20_000:
        return
    import gc
    import sys

    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()
    gc.collect()
