from django.apps import AppConfig


class AvatarsConfig(AppConfig):
    name = "avatars"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The web process enqueues the resize, so it must know it as the worker does.
        from avatars import signals, tasks  # noqa: F401
