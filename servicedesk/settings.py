"""ServiceDesk settings.

Everything a deployment changes comes from environment variables (documented in README.md).
With none set, the app runs on embedded defaults: SQLite in ./var and a Celery broker on the
filesystem, so `make run` needs no server.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SERVICEDESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-change-me"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "servicedesk",
    "customers",
    "tickets",
    "dispatch",
    "knowledge",
    "followups",
    # After the areas whose demo data moves tickets: its demo loader runs the SLA sweep last.
    "sla",
    "reports",
    # The customer's door (issue 15): after sla, so an acknowledgement reads clocks already started.
    "portal",
    # Integrations (issue 16): e-mail intake, the REST API, outbound webhooks, caller screen-pop.
    "mailin",
    "api",
    "webhooks",
    "telephony",
    "assessment",
    "quality",
    "monitoring",
    # Key accounts and the service lifecycle (issue 17).
    "contracts",
    "maintenance",
    "leads",
    "improvement",
    # Agent productivity (issue 19): canned replies and macros.
    "macros",
    # The REST API's framework (api/): DRF, the OpenAPI schema from the same serializers, and the
    # Swagger UI's files served from our own static (no CDN; the CSP allows only 'self').
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # accounts: sign-in protection. axes = failed sign-in lockout, django_otp = two-step sign-in. Listed
    # before django.contrib so their permissions exist when the roles are synced (after the last app).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "servicedesk.apps.ServiceDeskAdminConfig",  # django.contrib.admin, changelists safe from bad filters
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    # Last: freezes what start-up made out of the garbage collector (servicedesk/startup).
    "servicedesk.startup",
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
    "servicedesk.middleware.RejectNulBytesMiddleware",  # before any view reads a parameter
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicedesk.middleware.TimezoneMiddleware",
    "servicedesk.middleware.StaffLanguageMiddleware",
    "accounts.middleware.TwoFactorEnrolmentMiddleware",  # accounts: set up 2FA first when the role requires it
    "axes.middleware.AxesMiddleware",  # accounts: lockout page (axes wants to be last)
]

ROOT_URLCONF = "servicedesk.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.context_processors.navigation",
                "servicedesk.context_processors.public_service",
            ],
        },
    },
]

WSGI_APPLICATION = "servicedesk.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL=postgres://user:pass@host:5432/name in production; SQLite file otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'servicedesk.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write at the same time: WAL lets readers go on,
    # IMMEDIATE makes a writing transaction take the lock up front instead of failing midway.
    # mmap_size: each request opens a fresh connection (cold page cache); reading the file through
    # a memory map instead of read() calls took the monthly report 190 → 170 ms and a one-word search
    # 170 → 96 ms at 100,000 tickets (issue 14). The map is address space over the page cache: a
    # process's RSS counts the file pages it touched (shared, reclaimable), not memory it owns.
    # wal_autocheckpoint: copy the WAL back into the database every 10,000 pages (40 MB) instead of every
    # 1,000: a batch of the SLA sweep writes more than 1,000, so each of its commits paid a checkpoint
    # (9,000 breaches: 1.0 s of 3.9 s); fewer, larger checkpoints write a page rewritten by several
    # batches once (issue 14).
    # cache_size: up to 64 MB of pages per connection instead of 2 MB. A sweep batch dirties several
    # thousand pages; with 2 MB it spilled them to the WAL and read them back (9,000 breaches: 175,000
    # reads → 47,000, 0.1 s). A page request touches a few hundred pages at most.
    # Connections are kept between requests (DB_CONN_MAX_AGE, as on PostgreSQL): a new SQLite connection
    # reads and parses the whole schema — hundreds of tables, indexes and triggers — on its first
    # statement, 2.6 ms here, which every request paid (twice on the ticket page: its panel is a request
    # of its own). The development server still closes its connections after each request.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456; "
                        "PRAGMA wal_autocheckpoint=10000; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# accounts: axes' backend first, so a locked-out user name or address is refused before any password check.
# accounts.backends: ModelBackend reading a user's permissions in one query (not two) per request.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.OneQueryModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# One catalogue per app (each app's locale/ is found automatically); the project-wide one holds
# the layout, the home pages and anything outside an app. Listing the app folders here too lets
# `makemessages` run inside one app and write to that app's catalogue only.
LOCALE_PATHS = [BASE_DIR / app / "locale" for app in ("customers", "tickets", "dispatch", "knowledge", "sla", "followups", "reports", "servicedesk", "accounts")]
LOCALE_PATHS.append(BASE_DIR / "locale")  # last: its parent folder matches every file
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads (attachments, photos, signatures): checked in forms too, this caps the request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "servicedesk.filecache.ThrottledFileCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Parallel test workers (pytest-xdist) share one cache: each keeps its own keys, so one worker's change
# to a kept table (tiers, policies, tags…) does not make another's query-count test read it again.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("PYTEST_XDIST_WORKER", "")

CELERY_DATA_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Publishing must fail fast when Redis is down: intake goes on, the sweeps catch up later. No
# connection retry (kombu's retry waits 2 s), a short connect timeout for a host that drops packets.
# (Set for every broker: a test or a deployment may repoint the app at Redis after start-up.)
CELERY_BROKER_TRANSPORT_OPTIONS.update({
    "socket_connect_timeout": float(os.environ.get("BROKER_CONNECT_TIMEOUT", "0.5")),
    "socket_timeout": 5,
    "max_retries": 0,
})
# After a failed publish, this process stops trying for this many seconds (servicedesk/queue.py).
BROKER_RETRY_AFTER = float(os.environ.get("BROKER_RETRY_AFTER", "10"))
# The outbox (servicedesk/outbox.py): attempts before a message is shown as undeliverable, the first
# back-off (doubling to at most 1 h) and how long a claimed message stays with one worker.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_BACKOFF_BASE_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_BASE_SECONDS", "60"))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
# SMS for replies and complaint results (followups/delivery.py); empty: the survey backend if it is SMS.
SMS_DELIVERY_BACKEND = os.environ.get("SMS_DELIVERY_BACKEND", "")
# Alibaba Cloud SMS (followups/sms_aliyun.py), read when SMS_DELIVERY_BACKEND is
# followups.sms_aliyun.AliyunSmsBackend; `manage.py check` warns when one of the first four is empty.
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("ALIYUN_SMS_TEMPLATE_CODE", "")  # a template of one variable: ${content}
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_TIMEOUT = float(os.environ.get("ALIYUN_SMS_TIMEOUT", "5"))
# Customers' replies to our SMS (上行短信) pushed by the gateway to /sms/inbound/<token>/: a reply of
# TD / 退订 stops progress messages. Empty: the endpoint answers 404.
SMS_INBOUND_TOKEN = os.environ.get("SMS_INBOUND_TOKEN", "")
# /healthz thresholds (servicedesk/health.py, README "Health"), in seconds.
HEALTH_SWEEP_MAX_AGE = int(os.environ.get("HEALTH_SWEEP_MAX_AGE", "300"))
HEALTH_OUTBOX_MAX_AGE = int(os.environ.get("HEALTH_OUTBOX_MAX_AGE", "900"))
HEALTH_SLA_GRACE = int(os.environ.get("HEALTH_SLA_GRACE", "120"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes; `make run` uses it
# when EMAIL_BACKEND is not set, so the demo's e-mails do not bury the URL and logins in the terminal.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "servicedesk@localhost")

# --- Security --------------------------------------------------------------------------------
# Deployment hardening, every knob an environment variable (README "Configuration"). Production
# (DEBUG=0) is assumed to sit behind a TLS-terminating proxy that sets X-Forwarded-Proto and
# X-Forwarded-For; defaults there are strict, and `manage.py check --deploy` is clean with them.
INSTALLED_APPS += ["csp"]
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    # After authentication and messages: signs out a session left idle (shared front-desk PCs).
    "servicedesk.security.IdleSessionTimeoutMiddleware",
]
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or (0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The header the TLS proxy sets to say the browser used HTTPS; empty when nothing sits in front
# (then a client could claim HTTPS by sending the header itself).
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Survey links carry a signed token in the URL: never send it to another site as a Referer.
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
# Nothing in the app is framed (print views and the signature pad are top-level pages).
X_FRAME_OPTIONS = "DENY"
# How many reverse proxies in front append to X-Forwarded-For; the client address is the entry
# the outermost one added (servicedesk/ratelimit.py client_ip). 0: REMOTE_ADDR, the header ignored.
TRUSTED_PROXY_COUNT = max(0, int(os.environ.get("TRUSTED_PROXY_COUNT", "0")))
# Shared front-desk PCs: a session idle this many minutes is signed out (0: never), and the
# session cookie dies with the browser.
SESSION_ENGINE = "servicedesk.sessions"  # database sessions, their per-request read compiled once
SESSION_IDLE_TIMEOUT = max(0, int(os.environ.get("SESSION_IDLE_MINUTES", "30"))) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# Content-Security-Policy (django-csp 4): scripts and stylesheets only from our own static files —
# no inline <script>, no inline event handlers, no <style> blocks, no eval. Inline style="…"
# attributes stay allowed (style-src-attr): they cannot run code, and layout widths use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's CSS draws its small icons as data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Customers' default phone region (domain.md §2: mobile and landline numbers without +86).
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "CN")

# Absolute base of links sent outside the app (survey links, report emails).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# What customers see on the public pages (FAQ, survey): the service's name as customers know it (empty:
# "Customer service" / "客户服务" in the visitor's language) and the hotline the FAQ offers when it has no answer.
SERVICE_PUBLIC_NAME = os.environ.get("SERVICE_PUBLIC_NAME", "").strip()
SERVICE_PHONE = os.environ.get("SERVICE_PHONE", "400 123 4567").strip()
# Survey links: how they are delivered (console/log by default; see followups/delivery.py).
SURVEY_DELIVERY_BACKEND = os.environ.get("SURVEY_DELIVERY_BACKEND", "")
# Public survey page: at most N requests per IP per window seconds.
SURVEY_RATE_LIMIT = (int(os.environ.get("SURVEY_RATE_LIMIT", "30")), int(os.environ.get("SURVEY_RATE_WINDOW", "60")))
# The customer's status page (portal): requests per client address per window (seconds).
PORTAL_RATE_LIMIT = (int(os.environ.get("PORTAL_RATE_LIMIT", "60")), int(os.environ.get("PORTAL_RATE_WINDOW", "60")))

# --- REST API (api/) ----------------------------------------------------------------------------
# A new token's default limit (requests per minute); each token can have its own.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "120"))
# Largest JSON body the API accepts (bytes); larger ones get 413 before they are parsed.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(256 * 1024)))
# How long each API call stays in the call log (days); older rows are deleted nightly.
API_CALL_LOG_DAYS = int(os.environ.get("API_CALL_LOG_DAYS", "90"))
# Live monitoring (issue 18 §4): first-contact resolution looks N days past the contact for a second
# contact or a reopen; a person's handling-time norm is their average over this many days before today.
MONITORING_FCR_DAYS = max(1, int(os.environ.get("MONITORING_FCR_DAYS", "7")))
MONITORING_NORM_DAYS = max(1, int(os.environ.get("MONITORING_NORM_DAYS", "30")))
# Quality inspection (issue 18): how many of a day's resolved tickets, contacts and closed work orders the
# daily sample picks at random; low survey scores and complaints are always added on top.
QUALITY_SAMPLE_TICKETS = int(os.environ.get("QUALITY_SAMPLE_TICKETS", "5"))
QUALITY_SAMPLE_CONTACTS = int(os.environ.get("QUALITY_SAMPLE_CONTACTS", "5"))
QUALITY_SAMPLE_WORK_ORDERS = int(os.environ.get("QUALITY_SAMPLE_WORK_ORDERS", "3"))
QUALITY_EVIDENCE_MAX_MB = int(os.environ.get("QUALITY_EVIDENCE_MAX_MB", "10"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ServiceDesk API",
    "DESCRIPTION": "Customers, contacts, tickets, work orders and the phone system's call events. "
                   "Authenticate with `Authorization: Bearer <token>` (a manager creates tokens under API tokens).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "TicketKindEnum": "tickets.models.Ticket.Kind",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "WorkOrderStatusEnum": "dispatch.models.WorkOrder.Status",
    },
}

# --- Sign-in protection (accounts app, django-axes) -----------------------------------------------
# Failed sign-ins are counted per user name and, separately, per client address; unknown user names
# count like real ones. The address limit is higher: a front desk's PCs share one office address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.lockout.DepartmentAxesHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The same client-address rule as the public rate limits (servicedesk.ratelimit.client_ip).
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.client_username"
AXES_VERBOSE = False
# The authenticator app shows this name next to the code.
OTP_TOTP_ISSUER = "ServiceDesk"
# Only the person enrolling sees their authenticator's secret (on their own set-up page): the admin's
# QR-code pages would let anyone with the admin copy a colleague's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Service contracts (issue 17 §7): a contract counts as "expiring" on the list this many days before its end.
CONTRACTS_EXPIRING_DAYS = max(1, int(os.environ.get("CONTRACTS_EXPIRING_DAYS", "60")))


# Planned maintenance (issue 17 §6): each visit's ticket and work order are created this many days
# before its date, so dispatch has time to find a technician under the caps.
MAINTENANCE_LEAD_DAYS = int(os.environ.get("MAINTENANCE_LEAD_DAYS", "7"))
