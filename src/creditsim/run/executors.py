"""Executors: who runs a plan's work units, and where.

An executor takes a ``Job`` and its work units and yields ``(unit, totals)`` as units
finish, in any order; the caller merges the totals (exact integers) and so gets the same
numbers from every executor.  ``LocalExecutor`` runs the units one after another on the
default JAX device (``simulate``'s default); ``DeviceExecutor`` spreads them over several
local devices (GPUs, or CPU devices made with
``XLA_FLAGS=--xla_force_host_platform_device_count=N``), one worker thread per device.
An executor on other processes or machines (Dask) ships the job once and runs
``creditsim.run.unit.run_unit`` on each unit as a task.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

from .plan import WorkUnit
from .unit import DeviceInputs, Job, run_unit

__all__ = ["Executor", "LocalExecutor", "DeviceExecutor", "executor"]


class Executor:
    """The executor protocol: ``map(job, units)`` yields ``(unit, totals)`` per unit."""

    name = "executor"

    def map(self, job: Job, units: Sequence[WorkUnit]) -> Iterator[tuple[WorkUnit, list[dict]]]:
        raise NotImplementedError


class LocalExecutor(Executor):
    """Every unit in this thread, one after another, on ``device`` (default: JAX's)."""

    name = "local"

    def __init__(self, device=None):
        self.device = device

    def map(self, job, units):
        dev = DeviceInputs.of(job, self.device)
        for unit in units:
            yield unit, run_unit(job, unit, dev)


class DeviceExecutor(Executor):
    """The units spread over ``devices`` (default: every local JAX device of the default
    backend), one worker thread per device taking the next unit as it finishes one.

    JAX releases the interpreter lock while a device computes, so the devices run at once.
    Results are identical to ``LocalExecutor``'s (each unit's totals are exact integers)."""

    name = "devices"

    def __init__(self, devices=None):
        self.devices = devices

    def map(self, job, units):
        import jax

        devices = list(self.devices) if self.devices is not None else jax.local_devices()
        if not devices:
            raise ValueError("simulate: DeviceExecutor has no devices")
        if len(devices) == 1:
            yield from LocalExecutor(devices[0]).map(job, units)
            return
        inputs = [DeviceInputs.of(job, d) for d in devices]
        todo: queue.SimpleQueue = queue.SimpleQueue()
        for u in units:
            todo.put(u)
        results: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()

        def worker(dev):
            try:
                while not stop.is_set():
                    try:
                        u = todo.get_nowait()
                    except queue.Empty:
                        return
                    results.put((u, run_unit(job, u, dev)))
            except BaseException as e:  # handed to the caller's thread
                results.put(e)

        threads = [threading.Thread(target=worker, args=(dev,), daemon=True, name=f"creditsim-device-{i}")
                   for i, dev in enumerate(inputs)]
        for t in threads:
            t.start()
        try:
            for _ in range(len(units)):
                got = results.get()
                if isinstance(got, BaseException):
                    raise got
                yield got
        finally:
            stop.set()  # on an error or an interrupt: the workers take no new unit


def executor(value) -> Executor:
    """``simulate``'s ``executor`` argument as an ``Executor``: None or ``"local"``,
    ``"devices"``, or an ``Executor``."""
    if value is None or value == "local":
        return LocalExecutor()
    if value == "devices":
        return DeviceExecutor()
    if isinstance(value, Executor):
        return value
    raise ValueError(f"simulate: executor must be 'local', 'devices' or an Executor, got {value!r}")
