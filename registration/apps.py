from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The web process enqueues e-mail, so it must know the tasks as the worker does.
        from registration import mfa, signals, tasks  # noqa: F401
