from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The web process enqueues tasks, so it must know them as the worker does.
        from registration import signals, tasks, worker  # noqa: F401
