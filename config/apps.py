from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SiteConfig(AppConfig):
    """The project package as an app: it registers the site's system checks."""

    default = True
    name = "config"
    verbose_name = "Site"

    def ready(self) -> None:
        import config.checks  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """The admin, on the site's AdminSite (config.admin)."""

    default = False  # "config" in INSTALLED_APPS is SiteConfig
    default_site = "config.admin.SiteAdmin"
