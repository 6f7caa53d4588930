"""Django settings. Everything comes from the environment:

YINGKE_HOME   data directory (default ./var): SQLite database, secret keys, media
DATABASE_URL  postgres://… switches from the embedded SQLite to PostgreSQL
REDIS_URL     background jobs in Redis instead of SQLite
YINGKE_DEBUG  1 for Django debug pages
"""

import os
from pathlib import Path

import dj_database_url

from yingke.home import home_dir, load_or_create_secret

BASE_DIR = Path(__file__).resolve().parent
HOME = home_dir()

SECRET_KEY = os.environ.get("YINGKE_SECRET_KEY") or load_or_create_secret("secret_key", 50)
# Master key for field encryption (ID numbers) and the blind index; see customers/crypto.py.
FIELD_KEY = os.environ.get("YINGKE_FIELD_KEY") or load_or_create_secret("field_key", 44)

DEBUG = os.environ.get("YINGKE_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("YINGKE_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YINGKE_CSRF_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    # Our apps first: their templates and translations win over Django's for the same names.
    "yingke.core",
    "yingke.customers",
    "yingke.visits",
    "yingke.imports",
    "yingke.api",
    "yingke.cli",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "simple_history",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yingke.urls"
WSGI_APPLICATION = "yingke.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 8
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # that user from that address, not a whole office
AXES_ENABLED = os.environ.get("YINGKE_AXES", "1") == "1"
AXES_LOCKOUT_CALLABLE = "yingke.core.views.lockout"  # the login page with a lock-out message

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "yingke.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=10000; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = []  # each app carries its own locale/ directory
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"  # filled by `yingke serve` (collectstatic)
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = HOME / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"

MESSAGE_TAGS = {}
PAGE_SIZE = 25

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"audit": {"format": "%(asctime)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # Exports and other sensitive reads until a database audit store exists.
        "audit": {"class": "logging.FileHandler", "filename": str(HOME / "audit.log"), "formatter": "audit",
                  "delay": True},
    },
    "loggers": {"yingke.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
