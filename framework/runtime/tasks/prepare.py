"""Before anything else: the run's folders, the warehouse lock (one run at a time) and the
staging leftovers of interrupted runs cleaned up."""

from __future__ import annotations

import os

from framework.plan import PrepareTask
from framework.runtime.record import TaskRecord
from framework.runtime.state import RunState


def run(task: PrepareTask, rec: TaskRecord, state: RunState) -> None:
    from framework.runtime.publish import WarehouseLock, cleanup

    for folder in task.folders:
        os.makedirs(folder, exist_ok=True)
    state.warehouse_lock = WarehouseLock(task.warehouse, state.record.run_id)
    state.warehouse_lock.acquire()  # held until the run ends: nobody cleans up under our feet
    cleanup(task.warehouse)
    rec.path = task.warehouse
