from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project package as an app: it registers the site's system checks."""

    name = "config"
    verbose_name = "Site"

    def ready(self) -> None:
        import config.checks  # noqa: F401
