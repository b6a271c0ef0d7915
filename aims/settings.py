"""Settings for the AIMS register, read from the environment.

Nothing set gives an embedded setup: an SQLite file, a Kombu filesystem broker in a
local folder, DEBUG off and a secret key generated once into a git-ignored file.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AIMS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else a key generated once and kept in var/secret_key."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "aims.apps.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",  # failed logins per account and address, lock-out (issue 9)
    "aims.apps.AimsConfig",
    "evidence",
    "registers",
    "assessments",
    "controls",
    "improvement",
    "governance",
    "reviews",
    "gateway",
    "packs.apps.PacksConfig",
    "csp",  # Content-Security-Policy; its decorators relax it for one view (issue 9)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "aims.accounts.middleware.SessionTimeoutMiddleware",  # idle and absolute session timeouts (issue 9)
    "aims.accounts.middleware.SecondFactorMiddleware",  # code step at login; enrolment when MFA is required (issue 9)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (issue 9)
    "aims.middleware.browser_policy_headers",  # Permissions-Policy; Cache-Control: no-store (issue 9)
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lock-out into its page; axes wants it last (issue 9)
]

ROOT_URLCONF = "aims.urls"
WSGI_APPLICATION = "aims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aims.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'aims.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    # Write-ahead log: readers never wait for the writer, and a commit appends to the log instead
    # of rewriting and syncing the file (synchronous=NORMAL: durable at each checkpoint, never
    # corrupt). The gateway writes two ledger events per call; in the default rollback journal
    # each commit cost a sync of the file. AIMS_SQLITE_WAL=0 keeps SQLite's rollback journal.
    if os.environ.get("AIMS_SQLITE_WAL", "1") != "0":
        DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
# The gateway's database work runs in a pool of this many threads per process, each keeping its
# connection (CONN_MAX_AGE): at most this many connections per process for the gateway's calls.
GATEWAY_DB_THREADS = int(os.environ.get("GATEWAY_DB_THREADS", "4"))

# ModelBackend answers permissions without an object (the admin, for superusers only);
# AccessBackend answers those on a management system or record exactly as aims.access does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check (issue 9)
    "django.contrib.auth.backends.ModelBackend",
    "aims.access.AccessBackend",
]
ANONYMOUS_USER_NAME = None  # guardian's anonymous user is disabled
# Guardian stores the grants; aims.access reads them and AccessBackend answers has_perm, so
# guardian's own backend is deliberately not installed.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "aims:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
if "STATIC_ROOT" not in os.environ:
    STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up while it is missing
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"  # never served directly: files go through authorised views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("AIMS_PLAIN_STATIC")
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security: strict by default; HTTPS settings switch on with DJANGO_SECURE=1.
SECURE = env_bool("DJANGO_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aims.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "aims.api_pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_RENDERER_CLASSES": (
        ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
        if DEBUG
        else ["rest_framework.renderers.JSONRenderer"]
    ),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "aims.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AIMS register API",
    "DESCRIPTION": "ISO/IEC 42001 AI management system register.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,  # request bodies list only writable fields
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # tag operations by resource, not by "v1"
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set used by several fields (the deploy check warns otherwise).
    "ENUM_NAME_OVERRIDES": {
        "RiskLevelEnum": "assessments.models.Level",
        "RiskEvaluationEnum": "assessments.models.Risk.Evaluation",
        "NonconformityStateEnum": "improvement.models.Nonconformity.State",
        "GatewayKeyStateEnum": ["active", "expired", "revoked"],
        "GatewayEventTypeEnum": "gateway.models.GatewayEvent.Type",
        "GatewayPolicyOutcomeEnum": "gateway.models.Outcome",
        "IncidentOutcomeEnum": "improvement.models.Incident.Outcome",
        "CorrectiveActionStatusEnum": "improvement.models.CorrectiveAction.Status",
        "NonconformityGradeEnum": "improvement.models.Nonconformity.Grade",
        "AuditCheckResultEnum": "improvement.models.AuditCheck.Result",
        "EffectivenessReviewResultEnum": "improvement.models.EffectivenessReview.Result",
        "AISystemRoleEnum": "registers.models.AISystemRole.Role",
        "RoleEnum": "aims.models.Role",
        "MetricCadenceEnum": "governance.models.Metric.Cadence",
        "MetricDirectionEnum": "governance.models.Metric.Direction",
        "MetricSourceEnum": "governance.models.Metric.Source",
        "ObjectiveStatusEnum": "governance.models.Objective.Status",
        "ManagementReviewActionStatusEnum": "reviews.models.ReviewAction.Status",
        "ManagementReviewDecisionTypeEnum": "reviews.models.ReviewDecision.Type",
    },
}

# Celery: Redis when REDIS_URL is set, else Kombu's filesystem broker in var/.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    for sub in ("in", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "in"),
        "data_folder_out": str(CELERY_BROKER_DIR / "in"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "600"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "660"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
# The suite runs in parallel processes (pytest-xdist sets PYTEST_XDIST_WORKER to gw0, gw1, ...):
# each keeps its cache in a Redis database of its own, because a test empties the cache
# (FLUSHDB), which must not touch another process's cache or the broker's queues.
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    from urllib.parse import urlsplit, urlunsplit

    _worker = int(os.environ["PYTEST_XDIST_WORKER"][2:] or 0)
    CACHES["default"]["LOCATION"] = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{1 + _worker % 15}"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Evidence files and audit packs (issue 5) ---------------------------------------------
# Uploaded evidence lives in default_storage (MEDIA_ROOT, never served directly); rendered
# packs and bundles in AIMS_PACK_DIR, written to a temporary file and moved into place.
EVIDENCE_MAX_UPLOAD_BYTES = int(float(os.environ.get("AIMS_EVIDENCE_MAX_MB", "25")) * 1024 * 1024)
EVIDENCE_STALE_DAYS = int(os.environ.get("AIMS_EVIDENCE_STALE_DAYS", "365"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # bigger uploads spill to a temporary file
AIMS_PACK_DIR = Path(os.environ.get("AIMS_PACK_DIR", MEDIA_ROOT / "packs"))
AIMS_PACK_QUEUE = os.environ.get("AIMS_PACK_QUEUE", "celery")  # a dedicated queue scales rendering out
AIMS_PACK_SOFT_TIME_LIMIT = int(os.environ.get("AIMS_PACK_SOFT_TIME_LIMIT", "540"))
AIMS_PACK_TIME_LIMIT = int(os.environ.get("AIMS_PACK_TIME_LIMIT", "600"))
LOGGING.setdefault("loggers", {})["weasyprint.progress"] = {"level": "WARNING"}  # one line per render step
# The gateway's libraries log every request (httpx) and every recognizer loaded (Presidio) at INFO.
for _noisy in ("httpx", "httpcore", "presidio-analyzer", "presidio-anonymizer"):
    LOGGING["loggers"][_noisy] = {"level": "WARNING"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a file, not an in-memory database, so that a real Celery worker started by
    # a test (tests/packs/worker.py) can open the same test database. One file per test
    # process: several test runs may share this working tree.
    import tempfile

    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"aims-test-{os.getpid()}.sqlite3")
    )

# --- Accounts: second factors, login throttling, sessions, API tokens, security log (issue 9) -
# Second factors (aims.mfa): owners, leadership and superusers must enrol an authenticator;
# a user who has one gives its code after the password at every login.
OTP_TOTP_ISSUER = os.environ.get("AIMS_OTP_ISSUER", "AIMS register")  # the name authenticator apps show
# Login throttling (django-axes, aims.accounts.throttling): failures are counted per account at
# an address and per address; a locked-out client waits a cool-off that doubles with every
# further failure, up to a ceiling. Unlock: manage.py axes_reset_username / axes_reset_ip.
AXES_HANDLER = "aims.accounts.throttling.LoginAttempts"
AXES_FAILURE_LIMIT = int(os.environ.get("AIMS_LOGIN_FAILURE_LIMIT", "5"))
AIMS_LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("AIMS_LOGIN_FAILURE_LIMIT_PER_ADDRESS", "20"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]  # this order: LoginAttempts reads it
AXES_COOLOFF_TIME = "aims.accounts.throttling.login_cool_off"
AIMS_LOGIN_COOLOFF_MINUTES = int(os.environ.get("AIMS_LOGIN_COOLOFF_MINUTES", "15"))
AIMS_LOGIN_COOLOFF_MAX_HOURS = int(os.environ.get("AIMS_LOGIN_COOLOFF_MAX_HOURS", "24"))
AXES_USE_ATTEMPT_EXPIRATION = True  # each address keeps its own (progressive) cool-off
AXES_LOCKOUT_CALLABLE = "aims.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "aims.accounts.clients.client_address"
AXES_SENSITIVE_PARAMETERS = ["code", "second_factor"]  # never stored with an attempt (passwords never are)
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: the client's address is
# read that many entries from the right (0: REMOTE_ADDR, no proxy).
AIMS_PROXY_COUNT = int(os.environ.get("AIMS_PROXY_COUNT", "0"))
# Sessions: an absolute lifetime from login, and logout after a time without activity.
AIMS_SESSION_MAX_HOURS = float(os.environ.get("AIMS_SESSION_MAX_HOURS", "12"))
AIMS_SESSION_IDLE_MINUTES = float(os.environ.get("AIMS_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(AIMS_SESSION_MAX_HOURS * 3600)
AIMS_SESSION_TOUCH_SECONDS = 60  # the last activity is written to the session at most this often
# API tokens expire; a token is created for this many days unless asked otherwise (at most the maximum).
AIMS_API_TOKEN_DAYS = int(os.environ.get("AIMS_API_TOKEN_DAYS", "90"))
AIMS_API_TOKEN_MAX_DAYS = int(os.environ.get("AIMS_API_TOKEN_MAX_DAYS", "365"))
# Failed token authentications per client address (429 beyond it), e.g. "10/min".
REST_FRAMEWORK["NUM_PROXIES"] = AIMS_PROXY_COUNT or None
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "token_failures": os.environ.get("AIMS_API_TOKEN_FAILURE_RATE", "10/min"),
}
# Security log: logins, failures, lock-outs, second-factor and password changes, token changes.
AIMS_SECURITY_LOG = Path(os.environ.get("AIMS_SECURITY_LOG", VAR_DIR / "log" / "security.log"))
AIMS_SECURITY_LOG.parent.mkdir(parents=True, exist_ok=True)
LOGGING["formatters"] = {"security": {"format": "%(asctime)s %(levelname)s %(message)s"}}
LOGGING["handlers"]["security_file"] = {
    "class": "logging.handlers.WatchedFileHandler",  # reopened after logrotate moves it
    "filename": str(AIMS_SECURITY_LOG),
    "formatter": "security",
}
LOGGING.setdefault("loggers", {})["aims.security"] = {
    "handlers": ["security_file"],
    "level": "INFO",
}  # and the console, via root
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # its own lines repeat what aims.security records

# --- Who may act: invitations and who creates management systems (issue 9) ------------------
# Who may create a management system (and so become its first owner): "staff" (default),
# "superusers" or "anyone" with an account. Members join only by accepting an invitation.
AIMS_MS_CREATORS = os.environ.get("AIMS_MS_CREATORS", "staff").strip().lower()
if AIMS_MS_CREATORS not in {"staff", "superusers", "anyone"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f'AIMS_MS_CREATORS must be "staff", "superusers" or "anyone", not {AIMS_MS_CREATORS!r}.')
AIMS_INVITATION_DAYS = int(os.environ.get("AIMS_INVITATION_DAYS", "7"))  # how long an invitation link works
# E-mail (invitations): SMTP when EMAIL_HOST is set; else each message is written to a file in
# $AIMS_VAR_DIR/mail, so the embedded set-up needs no mail server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AIMS register <aims@localhost>")
# Reminders (reviews.reminders): the daily digest of what became due or overdue is sent at this
# hour (TIME_ZONE) and its links start with AIMS_BASE_URL, the address members open the site at
# (a worker has no request to build links from).
AIMS_BASE_URL = os.environ.get("AIMS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
AIMS_REMINDER_HOUR = int(os.environ.get("AIMS_REMINDER_HOUR", "7"))

# --- Signing key and ledger anchors (issues 9 and 10) -----------------------------------------
# The register's Ed25519 key signs every sign-off digest, every anchored chain head and every
# pack manifest (aims.signing). It is held outside the database: AIMS_SIGNING_KEY (PEM) wins,
# else the file AIMS_SIGNING_KEY_FILE, generated once on first use like the secret key.
AIMS_SIGNING_KEY = os.environ.get("AIMS_SIGNING_KEY", "")
AIMS_SIGNING_KEY_FILE = Path(os.environ.get("AIMS_SIGNING_KEY_FILE", VAR_DIR / "signing_key.pem"))

# --- Bad input and the admin's history (issue 9) -----------------------------------------------
# The API parses JSON with a size and nesting limit (aims/api_parsers.py); every API error,
# including Django's own 400/403/404/500, is JSON (aims/errors.py, aims/api_errors.py).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "aims.api_parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# History is shown in the admin, never reverted from it: a revert would write without the
# services (no version, no reason). aims.admin.HistoryAdmin also refuses the POST itself.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Evidence archives (XLSX, DOCX): refused when their members would expand beyond these.
EVIDENCE_ZIP_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
EVIDENCE_ZIP_MAX_RATIO = 100  # uncompressed size / compressed size of any one member
EVIDENCE_ZIP_MAX_MEMBERS = 10_000

# --- Redis visibility timeout (kept last: it must exceed every hard time limit above) -------
# Redis redelivers a message not acknowledged within this window; keep it above the longest
# hard time limit so a long task (a pack render) is never handed to a second worker.
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = max(CELERY_TASK_TIME_LIMIT, AIMS_PACK_TIME_LIMIT) + 300

# --- Job queue faults: broker outages, heartbeats, periodic tasks (issue 9) ---------------
# A request that cannot reach the broker must fail fast (the pack is marked "not queued"
# and the user retries), not hang the web worker: short connection timeouts, few retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = 3
# A render writes a heartbeat every AIMS_PACK_HEARTBEAT_SECONDS; a pack rendering whose last
# heartbeat is older than AIMS_PACK_HEARTBEAT_STALE_SECONDS lost its worker and is queued again.
AIMS_PACK_HEARTBEAT_SECONDS = int(os.environ.get("AIMS_PACK_HEARTBEAT_SECONDS", "30"))
AIMS_PACK_HEARTBEAT_STALE_SECONDS = int(os.environ.get("AIMS_PACK_HEARTBEAT_STALE_SECONDS", "120"))
# Celery beat (`celery -A aims beat`, started by `make run`; run exactly one in production).
# --- CELERY_BEAT_SCHEDULE: every periodic task of the project; add entries to this one dict.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "requeue-stale-packs": {
        "task": "packs.requeue_stale_packs",
        "schedule": 60.0,  # seconds; well under the heartbeat's stale age
        "options": {"expires": 55},  # a run the workers could not take in time is dropped, not stacked
    },
    # Each day the signed head of every sign-off chain is appended to anchors/<id>.jsonl in
    # default_storage (aims.anchors).
    "anchor-ledgers-daily": {"task": "aims.anchor_ledgers", "schedule": crontab(hour=2, minute=15)},
    # Each chain is verified daily in the background; the ledger page shows the latest check (issue 15).
    "verify-ledgers-daily": {"task": "aims.verify_ledgers", "schedule": crontab(hour=2, minute=45)},
    # Each morning every member gets one e-mail listing what became due or overdue for them
    # since the last one (reviews.reminders): each item once when due, once when overdue.
    "send-reminders-daily": {"task": "reviews.send_reminders", "schedule": crontab(hour=AIMS_REMINDER_HOUR, minute=0)},
    # Each day every management system's readiness is evaluated and kept (reviews.readiness), so that a
    # pack dated later shows the self-assessment of its date.
    "readiness-snapshots-daily": {"task": "reviews.readiness_snapshots", "schedule": crontab(hour=2, minute=45)},
    # Each day the heads of the gateway's event chains are signed into each sign-off chain (before the
    # anchors at 2:15), then the ended periods become evidence records and gateway metrics are measured.
    "gateway-checkpoint-daily": {"task": "gateway.checkpoint", "schedule": crontab(hour=2, minute=5)},
    "gateway-evidence-daily": {"task": "gateway.evidence", "schedule": crontab(hour=2, minute=25)},
    # Every few minutes the incident rule looks for bursts of refused calls (gateway.evidence.incidents).
    "gateway-incident-rule": {"task": "gateway.incident_rule", "schedule": 300.0, "options": {"expires": 290}},
}
# --- end of CELERY_BEAT_SCHEDULE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Browser policy: Content-Security-Policy, Permissions-Policy (issue 9) ----------------
# No inline script or style anywhere: pages load their CSS and JS from static/. A view that
# needs more (none today) relaxes it with csp.decorators. PDF templates are rendered by
# WeasyPrint, never served to a browser, so their inline <style> is not concerned.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features the register never uses, denied to every page (and anything it embeds).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "camera", "display-capture", "geolocation", "gyroscope", "hid",
        "idle-detection", "magnetometer", "microphone", "midi", "payment", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking",
    )
}  # fmt: skip
# Load balancers probe /health/live and /health/ready over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# The API docs and the OpenAPI schema are for signed-in people (a session or a token).
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
# Salt for hashed personal-data placeholders in the AI gateway; empty: derived from the secret key.
GATEWAY_PII_SALT = os.environ.get("AIMS_GATEWAY_PII_SALT", "")
# The period of the gateway's evidence records ("week", Monday to Sunday, or "day"), how far back
# the daily task looks for periods not recorded yet, and the default incident rule (N refused calls of
# one AI system within M minutes draft an incident; officers change it per management system).
AIMS_GATEWAY_EVIDENCE_PERIOD = os.environ.get("AIMS_GATEWAY_EVIDENCE_PERIOD", "week")
if AIMS_GATEWAY_EVIDENCE_PERIOD not in ("week", "day"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AIMS_GATEWAY_EVIDENCE_PERIOD is week or day.")
AIMS_GATEWAY_EVIDENCE_LOOKBACK_DAYS = int(os.environ.get("AIMS_GATEWAY_EVIDENCE_LOOKBACK_DAYS", "35"))
AIMS_GATEWAY_INCIDENT_THRESHOLD = int(os.environ.get("AIMS_GATEWAY_INCIDENT_THRESHOLD", "5"))
AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES = int(os.environ.get("AIMS_GATEWAY_INCIDENT_WINDOW_MINUTES", "10"))

# --- Object storage (issue 15) ------------------------------------------------------------
# Every file (evidence, packs and bundles, anchor logs, the readiness probe) goes through
# Django's storage API, in STORAGES["default"] and STORAGES["packs"] (aims.storage_url). Unset:
# the local folders MEDIA_ROOT and AIMS_PACK_DIR, written atomically. AIMS_STORAGE_URL
# (s3://bucket/prefix?endpoint_url=...&region=...) puts both in one private S3-compatible bucket,
# so web, worker and gateway processes on different machines share files; the credentials come
# from boto3's own chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role),
# never from the URL.
from aims.storage_url import StorageUrlError, storages_for  # noqa: E402

AIMS_STORAGE_URL = os.environ.get("AIMS_STORAGE_URL", "")
try:
    STORAGES.update(storages_for(AIMS_STORAGE_URL))
except (StorageUrlError, ValueError) as _error:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(str(_error)) from None

# Persistent database connections (DATABASE_CONN_MAX_AGE above) are checked before a request
# reuses them: one closed by the database, a pooler or a restart while idle is replaced instead
# of failing the request (Django's CONN_HEALTH_CHECKS; see README "Serving under load").
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", False)

# --- packs rendered in parts (issue 15): the pool of render processes and the section cache.
# AIMS_PACK_RENDER_PROCESSES: render processes per worker (empty: one per CPU; 0: render in the
# worker's own process). A render process that holds more than AIMS_PACK_RENDER_RECYCLE_MB after a
# document is replaced. A section of more than AIMS_PACK_SECTION_MAX_BYTES of HTML is rendered in
# chunks of whole rows (this bounds a render process's memory). AIMS_PACK_SECTION_CACHE keeps each
# rendered section in the default storage (pack-sections/) so an unchanged section is not rendered again.
_pack_processes = os.environ.get("AIMS_PACK_RENDER_PROCESSES", "").strip()
AIMS_PACK_RENDER_PROCESSES = int(_pack_processes) if _pack_processes else None
AIMS_PACK_RENDER_RECYCLE_MB = int(os.environ.get("AIMS_PACK_RENDER_RECYCLE_MB", "250"))
AIMS_PACK_SECTION_MAX_BYTES = int(os.environ.get("AIMS_PACK_SECTION_MAX_BYTES", "100000"))
AIMS_PACK_SECTION_CACHE = env_bool("AIMS_PACK_SECTION_CACHE", True)
