"""The resize task's old name, from before the photo pipeline moved to avatars/.

huey finds a queued task by "module path + name", so a message queued by an
older release says `registration.tasks.resize_avatar`. This task, a subclass of
the current one, answers to that name: the same work, the same hooks. It can go
once no queue anywhere holds such a message.
"""

from huey.api import Task
from huey.contrib.djhuey import db_task

from avatars import tasks
from avatars.state import Outcome


@db_task(
    context=True,
    task_base=tasks.resize_avatar.task_class,
    retries=tasks.resize_avatar.retries,
    retry_delay=tasks.resize_avatar.retry_delay,
    retry_backoff=2,
)
def resize_avatar(
    profile_id: int, image_name: str, task: Task | None = None
) -> Outcome | None:
    outcome: Outcome | None = tasks.resize_avatar.call_local(
        profile_id, image_name, task=task
    )
    return outcome
