"""Test-only hooks inside the consumer: a gate, and injected failures.

AVATARS_TEST_GATE names a Unix socket: every resize, once running (huey has
signalled it is executing and counts it in flight), connects, says its task id
and waits for one byte before it decodes the photo. The test thereby knows the
moment a task runs and decides when it goes on: no sleeps.

AVATARS_TEST_GATE_AT=store moves the gate to the last moment before a resize
records anything: its thumbnails are written, and `state.claim_thumbnails`
is about to run. With AVATARS_TEST_GATE_DONE=1 each resize also says
"done:<task id>" once it has ended, whatever came of it.

AVATARS_TEST_TRANSIENT_FAILURES=N makes the first N resizes in this consumer
raise an OSError, as a failing disk would.
"""

import os
import socket
import threading
from typing import Any

from django.apps import AppConfig

running = threading.local()
failures_left = int(os.environ.get("AVATARS_TEST_TRANSIENT_FAILURES", "0"))
failures_lock = threading.Lock()


def remember_task(task: Any) -> None:
    running.task_id = task.id


def gate_at() -> str:
    return os.environ.get("AVATARS_TEST_GATE_AT", "decode")


def hold_at_gate() -> None:
    path = os.environ.get("AVATARS_TEST_GATE")
    if not path:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
        gate.connect(path)
        gate.sendall(running.task_id.encode() + b"\n")
        gate.recv(1)


def report_done(task: Any, task_value: object, exception: object) -> None:
    path = os.environ.get("AVATARS_TEST_GATE")
    if not path or not os.environ.get("AVATARS_TEST_GATE_DONE"):
        return
    if not task.name.endswith("resize_avatar"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
        gate.connect(path)
        gate.sendall(f"done:{task.id}\n".encode())


def fail_if_asked() -> None:
    global failures_left
    with failures_lock:
        if failures_left <= 0:
            return
        failures_left -= 1
    raise OSError("injected transient failure")


class GateConfig(AppConfig):
    name = "testing.gate"
    label = "test_gate"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY

        from avatars import sandbox, state

        HUEY.pre_execute(name="remember_task")(remember_task)
        HUEY.post_execute(name="report_done")(report_done)
        make_thumbnails = sandbox.make_thumbnails
        claim_thumbnails = state.claim_thumbnails

        # In the worker thread, before the photo goes to its decoding child.
        def make_thumbnails_at_gate(*args: Any, **kwargs: Any) -> Any:
            if gate_at() == "decode":
                hold_at_gate()
            fail_if_asked()
            return make_thumbnails(*args, **kwargs)

        # After the thumbnails are written, before they are recorded.
        def claim_thumbnails_at_gate(*args: Any, **kwargs: Any) -> Any:
            if gate_at() == "store":
                hold_at_gate()
            return claim_thumbnails(*args, **kwargs)

        sandbox.make_thumbnails = make_thumbnails_at_gate
        state.claim_thumbnails = claim_thumbnails_at_gate
