"""Django settings. Everything comes from the environment:

YINGKE_HOME           data directory (default ./var, mode 0700): SQLite database, keys, media
YINGKE_FIELD_KEY      field-encryption key instead of $YINGKE_HOME/field_key (see core/fieldkey.py)
DATABASE_URL          postgres://… switches from the embedded SQLite to PostgreSQL
REDIS_URL             background jobs in Redis instead of SQLite ($YINGKE_HOME/jobs.sqlite3)
YINGKE_IMPORT_MAX_MB  largest file accepted by the import page and API (default 300)
YINGKE_ALLOWED_HOSTS  comma-separated host names the site answers to (default: localhost only)
YINGKE_HTTPS          1 behind a TLS-terminating proxy (nginx): secure cookies, HSTS, X-Forwarded-Proto
YINGKE_DEBUG          1 for Django debug pages
YINGKE_PUBLIC_URL     the address guests reach the feedback page at, printed in its QR codes
"""

import os
from pathlib import Path

import dj_database_url

from yingke.home import home_dir, load_or_create_secret, private_file

BASE_DIR = Path(__file__).resolve().parent
HOME = home_dir()

SECRET_KEY = os.environ.get("YINGKE_SECRET_KEY") or load_or_create_secret("secret_key", 50)
# Master key for field encryption (ID numbers) and the blind index, when given in the
# environment; otherwise $YINGKE_HOME/field_key, read (never created) by core/fieldkey.py.
FIELD_KEY = os.environ.get("YINGKE_FIELD_KEY") or None

DEBUG = os.environ.get("YINGKE_DEBUG") == "1"
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("YINGKE_ALLOWED_HOSTS", "").split(",") if h.strip()] \
    or LOCAL_HOSTS
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YINGKE_CSRF_ORIGINS", "").split(",") if o]
# Exact ID-number lookups per member of staff per hour (R-12.2; customers/search.py).
ID_LOOKUPS_PER_HOUR = int(os.environ.get("YINGKE_ID_LOOKUPS_PER_HOUR", "20"))
CSRF_FAILURE_VIEW = "yingke.api.csrf.csrf_failure"  # JSON under /api/, Django's page elsewhere

# Behind nginx (or another proxy) that terminates TLS and sets X-Forwarded-Proto and
# X-Forwarded-For. Only safe when the app is reachable through that proxy alone (serve
# listens on 127.0.0.1 by default).
HTTPS = os.environ.get("YINGKE_HTTPS") == "1"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("YINGKE_HSTS_SECONDS", 365 * 24 * 3600))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (core/middleware.py): everything is vendored and served by us; no
# inline script or style. /api/docs (django-ninja's Swagger UI) fits this policy too.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
])

INSTALLED_APPS = [
    # Our apps first: their templates and translations win over Django's for the same names.
    "yingke.core",
    "yingke.customers",
    "yingke.visits",
    "yingke.imports",
    "yingke.grading",
    "yingke.reports",
    "yingke.control",
    "yingke.complaints",
    "yingke.tracking",
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
    "yingke.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yingke.core.middleware.FieldKeyMiddleware",
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
    "yingke.customers.middleware.FollowMergedFiles",  # old links of merged files
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
AXES_CLIENT_IP_CALLABLE = "yingke.core.auth_views.client_ip"  # the browser's address, also behind nginx
AXES_USERNAME_FORM_FIELD = "username"
# Never keep passwords in the failure log (the password-change form counts failures too).
AXES_SENSITIVE_PARAMETERS = ["password", "old_password", "new_password1", "new_password2"]

# Passwords: at least 10 characters, not a common password, not like the user's
# names, not digits only. Django's messages come translated (zh-hans included).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "yingke.core.auth_views.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "last_name", "email")}},
    {"NAME": "yingke.core.auth_views.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
            "NAME": str(private_file(HOME / "yingke.sqlite3")),  # 0600; SQLite gives -wal/-shm the same
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

# One cache for every web process (the public feedback page's rate limits, complaints/feedback.py):
# Redis when REDIS_URL is set, otherwise files under $YINGKE_HOME/cache.
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"],
                          "KEY_PREFIX": os.environ.get("YINGKE_JOBS_NAME", "yingke")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(HOME / "cache")}}
# The site's address as guests reach it, for the QR codes of the feedback page (default: the
# address of the staff page the sheet is made from).
PUBLIC_URL = os.environ.get("YINGKE_PUBLIC_URL", "").strip()

# Background jobs (core/jobs.py): huey with its queue in $YINGKE_HOME/jobs.sqlite3, or in
# Redis when REDIS_URL is set (YINGKE_JOBS_NAME keeps installations sharing one Redis
# apart). Tests run tasks immediately (tests/conftest.py).
HUEY = {
    "name": os.environ.get("YINGKE_JOBS_NAME", "yingke"),
    "redis_url": os.environ.get("REDIS_URL", ""),
    "sqlite_path": HOME / "jobs.sqlite3",
    "immediate": os.environ.get("YINGKE_JOBS_IMMEDIATE") == "1",
}
# Largest file the import pages and the API accept (R-3.2; a million visit rows is ~100 MB).
IMPORT_MAX_BYTES = int(os.environ.get("YINGKE_IMPORT_MAX_MB", "300")) * 1024 * 1024

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
        "audit": {"class": "logging.FileHandler", "filename": str(private_file(HOME / "audit.log")),
                  "formatter": "audit",
                  "delay": True},
    },
    "loggers": {"yingke.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
