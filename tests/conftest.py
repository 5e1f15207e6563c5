import os
import shutil
import tempfile
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

#: The run's compilation cache folder, made by the first pytest process and inherited by
#: its xdist workers (environment variables pass to them).
_CACHE_ENV = "CREDITSIM_TEST_COMPILATION_CACHE"


def pytest_configure(config):
    """One persistent compilation cache per test run, shared by its worker processes: a
    kernel one worker compiled is loaded by the other, and by the same worker after
    ``_release_compiled_code`` freed it, instead of compiled again.  The cache key is the
    compiled program itself (and the JAX version and options), so a hit runs exactly what a
    compilation would have made.  It lives in a fresh temporary folder removed at the end of
    the run: nothing carries over from one run to the next."""
    if _CACHE_ENV not in os.environ:
        os.environ[_CACHE_ENV] = tempfile.mkdtemp(prefix="creditsim-tests-jax-")
        config._creditsim_cache_owner = True
    import jax

    jax.config.update("jax_compilation_cache_dir", os.environ[_CACHE_ENV])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


def pytest_unconfigure(config):
    if getattr(config, "_creditsim_cache_owner", False):
        shutil.rmtree(os.environ.pop(_CACHE_ENV), ignore_errors=True)


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
