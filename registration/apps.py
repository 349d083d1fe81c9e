from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from registration import signals  # noqa: F401
