"""huey's queues, with the log context carried from enqueue to execution.

A task queued while a request (or another task) runs takes that request's id and
user id along; while the task runs, its worker's log lines carry them, with the
task's name and id, and so do the tasks it queues (an e-mail, a retry). The
context rides in the message's kwargs under a private key, added when the task
is serialised and taken out when it is read back, so the payload stays huey's
own Message (the recovery sweep reads its id without resolving the task) and a
task object never shows the key to its function. A message queued before this
carried nothing: it runs with no request id.

A consumer of an older release would pass the key to the function: upgrade the
workers before the web.
"""

from typing import Any

import huey

from config import logs

CONTEXT_KEY = "_log_context"


class ContextQueue:
    """Mixed into each of huey's queue classes below."""

    def serialize_task(self: Any, task: huey.api.Task) -> bytes:
        message = self._registry.create_message(task)
        carried = getattr(task, CONTEXT_KEY, None) or _carried(logs.current())
        if carried:
            message = message._replace(kwargs={**message.kwargs, CONTEXT_KEY: carried})
        data: bytes = self.serializer.serialize(message)
        return data

    def deserialize_task(self: Any, data: bytes) -> huey.api.Task:
        message = self.serializer.deserialize(data)
        carried = None
        if message.kwargs and CONTEXT_KEY in message.kwargs:
            kwargs = dict(message.kwargs)
            carried = kwargs.pop(CONTEXT_KEY)
            message = message._replace(kwargs=kwargs)
        task = self._registry.create_task(message)
        setattr(task, CONTEXT_KEY, carried)
        return task

    def execute(self: Any, task: huey.api.Task, timestamp: Any = None) -> Any:
        fields = {"task": f"{type(task).__module__}.{task.name}", "task_id": task.id}
        # A task run in the request that queued it (immediate mode) keeps its
        # context as it is.
        if carried := getattr(task, CONTEXT_KEY, None):
            fields.update(request_id=carried["request_id"], user_id=carried["user_id"])
        with logs.bound(**fields):
            return super().execute(task, timestamp)  # type: ignore[misc]


def _carried(context: logs.Context) -> dict[str, Any] | None:
    if context.request_id is None:
        return None
    return {"request_id": context.request_id, "user_id": context.known_user_id()}


class SqliteHuey(ContextQueue, huey.SqliteHuey):  # type: ignore[misc]
    pass


class PostgresHuey(ContextQueue, huey.PostgresHuey):  # type: ignore[misc]
    pass


class RedisHuey(ContextQueue, huey.RedisHuey):  # type: ignore[misc]
    pass
