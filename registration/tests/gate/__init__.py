"""A gate that holds the test consumer's tasks until the test lets them go.

When AVATARS_TEST_GATE names a Unix socket, every task, once huey has signalled
that it is executing, connects to it, says its id, and waits for one byte. The
test thereby knows the moment a task runs and decides when it finishes: no sleeps.
"""

import os
import socket

from django.apps import AppConfig


def hold_at_gate(task) -> None:
    path = os.environ.get("AVATARS_TEST_GATE")
    if not path:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
        gate.connect(path)
        gate.sendall(task.id.encode() + b"\n")
        gate.recv(1)


class GateConfig(AppConfig):
    name = "registration.tests.gate"
    label = "test_gate"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY

        HUEY.pre_execute(name="hold_at_gate")(hold_at_gate)
