"""Settings for the avatars site, read from the environment alone.

With no variables set this is a local development site: DEBUG on, SQLite database,
SQLite Huey queue and media on local disk, all under one data folder (DATA_DIR,
default ./data). DJANGO_DEBUG=0 selects production settings; DATABASE_URL,
REDIS_URL and AWS_STORAGE_BUCKET_NAME move the database, the queue and the media
to shared services. The README lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config import logs, multiproc

# --- Environment ------------------------------------------------------------

# Lets the code write the generic types the type checker knows (ModelAdmin[Profile]).
django_stubs_ext.monkeypatch()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


BASE_DIR = Path(__file__).resolve().parent.parent
DEBUG = env_bool("DJANGO_DEBUG", True)
DATA_DIR = Path(os.environ.get("DATA_DIR") or BASE_DIR / "data").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
# Before anything imports prometheus_client, which reads it once (config.multiproc).
METRICS_DIR = multiproc.configure()
DATABASE_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME")

# --- Security ----------------------------------------------------------------

if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "insecure-local-development-key"
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if not SECRET_KEY:
        # A message, not a traceback: this is the first thing a deploy meets.
        raise SystemExit(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG=0 "
            "(production). Make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    # Platforms terminate TLS in front of the app and say so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Platform health checks and Prometheus come over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Apps and middleware -----------------------------------------------------

INSTALLED_APPS = [
    # The project package: its system checks (config.checks).
    "config",
    "registration",
    "avatars",
    "moderation",
    "exports",
    # The admin site that asks staff for a second factor (config.admin).
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "csp",
    # Its default app config puts the partials loader in front of the cached
    # one: "page.html#fragment" must reach the partials loader first.
    "template_partials",
    "huey.contrib.djhuey",
    "huey.contrib.djhuey.stats",
]

MIDDLEWARE = [
    # First: every other middleware's log lines carry the request's id.
    "config.requestid.RequestIdMiddleware",
    # Next, so that its time and status cover every other layer.
    "config.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.csp.AdminContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.htmx.HtmxRedirectMiddleware",
    "avatars.uploads.UploadLimitsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.csp.csp_nonce",
                "registration.passkeys.passkey_context",
            ],
            # Django 6.0 ships partials in core; as builtins the templates need no
            # {% load %}, so the upgrade only touches this line.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Database ----------------------------------------------------------------

if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=600, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "db.sqlite3"),
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # One writer at a time: take the write lock when the transaction
                # starts and wait for it, instead of failing with "database is
                # locked" when a read transaction tries to upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
using_postgres = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue ---------------------------------------------------------

# Sessions and attempt counters are shared by every web worker.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CACHES["sessions"] = CACHES["default"]
else:
    # On one host, files shared by the web processes. Attempt counters and
    # sessions are kept apart: a flood of visitors (each with a session) must
    # not evict the counters, which the per-address limits keep few (each lives
    # a few minutes; the cap needs hundreds of addresses at their limits).
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FileCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
        "sessions": {
            "BACKEND": "config.cache.FileCache",
            "LOCATION": str(DATA_DIR / "sessions"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
SESSION_CACHE_ALIAS = "sessions"

# The queue follows the environment: Redis when there is one (blocking pop,
# pickup in milliseconds), else PostgreSQL when the database is (LISTEN/NOTIFY,
# so web and worker share nothing but the database), else a SQLite file.
HUEY = {
    "name": os.environ.get("HUEY_NAME", "avatars"),
    # djhuey defaults immediate to DEBUG, which would run the resize inside the
    # request: say it explicitly.
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "results": True,
    "store_none": False,
    "utc": True,
    # A failed attempt that will be retried must not look final to the poller.
    "store_intermediate_errors": False,
    # The consumer's options (workers, polling delays) live in the Procfile's
    # worker line, the one command every way of running the worker uses.
}
if REDIS_URL:
    HUEY.update(huey_class="config.queue.RedisHuey", url=REDIS_URL)
elif using_postgres:
    HUEY.update(huey_class="config.queue.PostgresHuey", dsn=DATABASE_URL)
else:
    HUEY.update(
        huey_class="config.queue.SqliteHuey", filename=str(DATA_DIR / "huey.sqlite3")
    )

# huey's admin dashboard records task events from web and worker alike: in the
# shared database when there is one, else in a file beside the others.
HUEY_STATS = (
    {"database": DATABASE_URL}
    if using_postgres
    else {"filename": str(DATA_DIR / "huey-stats.sqlite3")}
)

# --- Storage -----------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

# Thumbnails are public; uploaded originals never get a URL: on local disk they
# live outside the served folder, on object storage they are private objects.
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
UPLOADS_ROOT = DATA_DIR / "uploads"
static_storage = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
if AWS_STORAGE_BUCKET_NAME:
    # django-storages reads AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY from the environment by the same names.
    s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL"),
        "region_name": os.environ.get("AWS_S3_REGION_NAME"),
        "file_overwrite": False,
    }
    STORAGES = {
        # Thumbnails: public-read objects with plain, cacheable URLs.
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **s3_options,
                "location": "media",
                "default_acl": "public-read",
                "querystring_auth": False,
                "object_parameters": {
                    "CacheControl": "public, max-age=31536000, immutable"
                },
            },
        },
        "uploads": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**s3_options, "location": "uploads", "default_acl": "private"},
        },
        "staticfiles": static_storage,
    }
    SERVE_MEDIA = False
    # Thumbnails come from the object store: the page may show images from it.
    endpoint = urlsplit(
        os.environ.get("AWS_S3_ENDPOINT_URL")
        or f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"
    )
    media_image_sources = [f"{endpoint.scheme}://{endpoint.netloc}"]
else:
    STORAGES = {
        "default": {
            "BACKEND": "avatars.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
        },
        "uploads": {
            "BACKEND": "avatars.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": UPLOADS_ROOT, "base_url": None},
        },
        "staticfiles": static_storage,
    }
    # Thumbnails are served by the site itself (avatars.views.media).
    SERVE_MEDIA = True
    media_image_sources = []

# No inline script anywhere: scripts come from this site (or carry the nonce).
# htmx's own indicator <style> is switched off in base.html; our CSS has it.
# The admin gets a looser policy of its own (config.csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # blob: is the preview of a photo chosen for upload, read from the file.
        "img-src": [SELF, "data:", "blob:", *media_image_sources],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Auth --------------------------------------------------------------------

AUTH_USER_MODEL = "registration.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "registration.validators.MaximumLengthValidator"},
]
# Argon2id first; hashes made with PBKDF2 before are upgraded at the next login.
PASSWORD_HASHERS = [
    "registration.hashers.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Argon2 with Django's defaults takes about 100 MB a hash: at most this many at
# once in a web process, whatever its thread count.
PASSWORD_HASHES_AT_ONCE = 2
# Every page and poll loads the user and the profile in one joined query; it is
# allauth's backend (login by username or e-mail) with that query.
AUTHENTICATION_BACKENDS = ["registration.backends.ModelBackendWithProfile"]
# Sessions are read from the cache (Redis, or files shared by the web workers)
# and written through to the database: a status poll costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profile"

# django-allauth's account app: login, logout, sign-up (ours, with a photo, at
# /register/), password reset and change, e-mail verification.
ACCOUNT_ADAPTER = "registration.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "registration.forms.SignupForm",
    "add_email": "registration.forms.ChangeEmailForm",
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Avatars] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "profile"
# One address per account: a new one replaces the old once it is confirmed, and
# the old one is told (as it is of a changed password).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the address asks for the password again (allauth's "confirm access"),
# as does deleting the account, unless it was typed within the last 5 minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# The sessions page lists the browsers signed in (recorded at each login).
# Tracking "last seen" would write a row on every request, status polls included.
USERSESSIONS_TRACK_ACTIVITY = False
# Attempt limits, counted in the cache (Redis, or files on one host).
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    # The password typed to delete the account, or to confirm access.
    "reauthenticate": "10/m/user",
    # Reports sent (a new one, or one updated) by a member, in a day.
    "report": "10/1d/user",
}
if not env_bool("DJANGO_RATE_LIMITS", True):
    ACCOUNT_RATE_LIMITS = False  # load tests only
# Set behind a proxy that appends the client's address to X-Forwarded-For.
if env_bool("DJANGO_TRUST_X_FORWARDED_FOR", False):
    ALLAUTH_TRUSTED_PROXY_COUNT = 1

# --- Two-factor sign-in --------------------------------------------------------

# allauth.mfa: an authenticator app (TOTP), security keys and passkeys
# (WebAuthn) and recovery codes, at /accounts/2fa/.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_ADAPTER = "registration.mfa.MFAAdapter"
# "Sign in with a passkey" for a key added as one (registration.passkeys refuses
# any other). No passkey sign-up: allauth allows it only with verification by
# code, and our sign-up asks for a photo.
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_FORMS = {
    "add_webauthn": "registration.passkeys.AddKeyForm",
    "login_webauthn": "registration.passkeys.PasskeyLoginForm",
}
# The name the authenticator app shows beside the address.
MFA_TOTP_ISSUER = "Avatars"
# "Trust this browser": no code asked on it for this long; a changed password or
# factor ends it (the signed cookie holds a fingerprint of both). 0 turns it off.
MFA_TRUST_DAYS = int(os.environ.get("MFA_TRUST_DAYS") or 14)
MFA_TRUST_ENABLED = MFA_TRUST_DAYS > 0
MFA_TRUST_COOKIE_AGE = timedelta(days=MFA_TRUST_DAYS)
# A staff user without a second factor is sent to set one up before the admin.
ADMIN_REQUIRE_MFA = env_bool("DJANGO_ADMIN_REQUIRE_MFA", not DEBUG)

# --- E-mail ------------------------------------------------------------------

# Messages are sent by the Huey worker (registration.tasks.send_email), never in a
# request. Without EMAIL_HOST, development prints them in the worker's log.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Avatars <avatars@localhost>")
# The site's public address (https://avatars.example.com): links in e-mail are
# built from it. Without it, from the request's host, which ALLOWED_HOSTS vets.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").rstrip("/")
if EMAIL_HOST := os.environ.get("EMAIL_HOST", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_TIMEOUT = 20
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise SystemExit(
        "EMAIL_HOST is not set. It is required when DJANGO_DEBUG=0 (production): "
        "the site sends e-mail to confirm addresses and reset passwords. Set "
        "EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
        "EMAIL_USE_TLS, DEFAULT_FROM_EMAIL as needed)."
    )

# --- Avatars -----------------------------------------------------------------

# The photo pipeline's own settings (AVATAR_*) and their defaults are listed in
# avatars/conf.py; set one here only to change it. What follows are Django's.

# Every form takes one file at most (Django's default is 100).
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Large uploads are spooled here, beside the uploads folder, so that storing one
# is a hard link on the same file system rather than a copy.
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "avatars.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "avatars.uploads.SpooledUploadHandler",
]

# --- Metrics -----------------------------------------------------------------

# /metrics (config.metrics): with a token, only requests that carry it
# (Authorization: Bearer <token>); without one, loopback in development and
# nobody in production. Everyone else gets a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# 0 turns off the request metrics and /metrics (the benchmark compares).
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
# A consumer on a host of its own serves its /metrics on this port (same rules).
METRICS_PORT = int(os.environ.get("METRICS_PORT") or 0)

# --- Logging -----------------------------------------------------------------

# LOG_FORMAT=json: one JSON object a line (config.logs). Either way each line
# carries the request id (and the user, the task) and is scrubbed of secrets.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "site": logs.formatter_config(
            "{asctime} {levelname} {name}:{lineno} [{elapsed:.3f}s] "
            "{context}- {message}"
        )
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "site",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "registration": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "avatars": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        # Handlers of its own stop run_huey from adding a second one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Replaces the handlers Django gives its own loggers in development (a
        # plain console that would print every line twice, once unscrubbed).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "WARNING"},
    },
}
