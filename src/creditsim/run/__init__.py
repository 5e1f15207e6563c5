"""Running a simulation: the run plan and its work units, executors, ``simulate`` and
``sweep``."""

from .executors import DeviceExecutor, Executor, LocalExecutor
from .plan import RunPlan, WorkUnit, make_plan

__all__ = ["RunPlan", "WorkUnit", "make_plan", "Executor", "LocalExecutor", "DeviceExecutor"]
