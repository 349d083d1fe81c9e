from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Data exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The web process queues the task, so it must know it as the worker does.
        from exports import signals, tasks  # noqa: F401
