"""The Flask app factory of the review page.

Configuration comes from ``TOOL_*`` environment variables (Toolforge's ``toolforge
envvars``), read with ``app.config.from_prefixed_env("TOOL")``, then from the mapping
given to ``create_app`` (tests, ``backfill review``). The keys, without the prefix:

``DB_PATH``            the bot's store (required, or ``BACKFILL_DB``): a SQLite file (``~`` and
                      ``$VARS`` are expanded) or a ``mysql://`` / ``toolsdb:NAME`` URL
``SECRET_KEY``         signs the session cookie (required, 16+ characters, unless DEV_LOGIN)
``MAINTAINERS``        who may decide, separated by commas or newlines: usernames, or
                       ``id:12345`` for a global (CentralAuth) account id, which survives
                       renames; when unset, ``MAINTAINERS_FILE`` (default
                       ``config/maintainers.txt``)
``PUBLIC_READ``        1 (default): everyone may read the queue; 0: only maintainers
``DEV_LOGIN``          1: a password-less development login, announced on every page.
                       Only the environment variable ``TOOL_DEV_LOGIN`` turns it on: a
                       mapping given to ``create_app`` cannot, so no code path or stray
                       config file enables it on a server by accident.
``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``   the Wikimedia OAuth 2.0 client
``OAUTH_AUTHORIZE_URL``, ``OAUTH_ACCESS_TOKEN_URL``, ``OAUTH_PROFILE_URL``   its endpoints
``PROXY_FIX``          proxies in front that set X-Forwarded-* (Toolforge: 1, local: 0)
``PAGE_SIZE``          conflicts per queue page (50)
``SESSION_HOURS``      a login lasts this long, used or not (12); then log in again
``COMMONS_URL``        the wiki every file, revision and diff link points at
                       (``https://commons.wikimedia.org``; a local stand-in's address when
                       the bot runs against one)
``BULK_WORKER``        1 (default): bulk decisions run in a thread of this process
                       (``bulk_tasks.py``); 0: they stay queued for another process's worker
``BULK_POLL_SECONDS``  how often an idle worker looks for tasks recorded elsewhere (5)
``BULK_CHUNK_ROWS``    rows per transaction of a background bulk decision (500)
``BULK_STALE_SECONDS`` a running task without a heartbeat for this long lost its worker
                       and is taken up again (120)
``BOT_USERNAME``       the bot account whose contributions the runs page links to
                       (``FlickrSdcBot``)
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.store import SCHEMA_VERSION, Store
from bot.store.failures import STORE_ERRORS, store_unavailable
from bot.store.location import store_location
from review_ui.bulk_tasks import BACKGROUND_CHUNK_ROWS
from review_ui.render import site_url

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS: Final = 300
"""What a 503 for an unavailable store asks clients to wait (maintenance lasts minutes
to hours; a browser does not retry on its own, a monitor may)."""

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
META: Final = "https://meta.wikimedia.org/w/rest.php/oauth2"

DEFAULTS: Final[dict[str, Any]] = {
    "DB_PATH": None,
    "SECRET_KEY": None,
    "MAINTAINERS": None,
    "MAINTAINERS_FILE": str(REPO_ROOT / "config" / "maintainers.txt"),
    "PUBLIC_READ": True,
    "DEV_LOGIN": False,
    "OAUTH_CLIENT_ID": None,
    "OAUTH_CLIENT_SECRET": None,
    "OAUTH_AUTHORIZE_URL": f"{META}/authorize",
    "OAUTH_ACCESS_TOKEN_URL": f"{META}/access_token",
    "OAUTH_PROFILE_URL": f"{META}/resource/profile",
    "OAUTH_TIMEOUT": 10,
    "PROXY_FIX": 1,
    "PAGE_SIZE": 50,
    "SESSION_HOURS": 12,
    "COMMONS_URL": "https://commons.wikimedia.org",
    "BOT_USERNAME": "FlickrSdcBot",
    "BULK_WORKER": True,
    "BULK_POLL_SECONDS": 5,
    "BULK_STALE_SECONDS": 120,
    "BULK_CHUNK_ROWS": BACKGROUND_CHUNK_ROWS,
    "USER_AGENT": "flickr-sdc-backfill-review/0.1 (Toolforge review page of the Flickr SDC backfill bot)",
    "SESSION_COOKIE_NAME": "review_session",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 64 * 1024,
}

# Values that must stay text even when they look like JSON numbers (json.loads("1e5")).
_STRING_KEYS: Final = (
    "SECRET_KEY",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
    "MAINTAINERS",
    "DB_PATH",
    "MAINTAINERS_FILE",
    "COMMONS_URL",
    "BOT_USERNAME",
)


def content_security_policy(commons_url: str) -> str:
    """Scripts and styles from this site only; images also from the configured wiki (the
    thumbnail: ``Special:FilePath`` redirects to upload.wikimedia.org)."""
    parts = urlsplit(commons_url)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' {parts.scheme}://{parts.netloc} https://upload.wikimedia.org",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CSP: Final = content_security_policy(DEFAULTS["COMMONS_URL"])


def flag(value: Any) -> bool:
    """``1``/``true``/``yes``/``on`` → True; ``0``/``false``/``no``/``off``/empty → False."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def expand_path(raw: str) -> str:
    """``~`` and ``$NAME``/``${NAME}`` expanded, as a shell would for the same setting."""
    return os.path.expanduser(os.path.expandvars(raw.strip()))


def session_lifetime(hours: Any) -> timedelta:
    """How long a login lasts (``SESSION_HOURS``): a positive number of hours."""
    try:
        value = float(hours)
    except (TypeError, ValueError):
        value = 0.0
    if not 0 < value <= 24 * 31:
        raise RuntimeError(f"TOOL_SESSION_HOURS must be a number of hours (0-744), not {hours!r}")
    return timedelta(hours=value)


def dev_login_enabled() -> bool:
    """The development login's one switch: ``TOOL_DEV_LOGIN`` in this process's environment."""
    return flag(os.environ.get("TOOL_DEV_LOGIN", ""))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Refuses to start without a database path, or without a secret key
    (except with the development login, which then uses a random per-process key)."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("TOOL")
    for key in _STRING_KEYS:
        raw = os.environ.get(f"TOOL_{key}")
        if raw is not None:
            app.config[key] = raw
    if config:
        if "DEV_LOGIN" in config:
            raise RuntimeError(
                "the development login is switched on only by the environment variable "
                "TOOL_DEV_LOGIN=1, not by configuration"
            )
        app.config.update(config)
    app.config["PUBLIC_READ"] = flag(app.config["PUBLIC_READ"])
    app.config["DEV_LOGIN"] = dev_login_enabled()

    if not app.config["DB_PATH"]:
        app.config["DB_PATH"] = os.environ.get("BACKFILL_DB", "").strip() or None
    if not app.config["DB_PATH"]:
        raise RuntimeError(
            "set BACKFILL_DB (or TOOL_DB_PATH) to the bot's store: a SQLite file or a "
            "mysql:// / toolsdb: URL"
        )
    # ``toolforge envvars`` stores the text as given: "~/backfill/backfill.db" stays literal
    # (a server URL is taken as it is: a password may hold a "$")
    if store_location(str(app.config["DB_PATH"])).is_sqlite:
        app.config["DB_PATH"] = expand_path(str(app.config["DB_PATH"]))
    app.config["MAINTAINERS_FILE"] = expand_path(str(app.config["MAINTAINERS_FILE"]))
    app.config["PERMANENT_SESSION_LIFETIME"] = session_lifetime(app.config["SESSION_HOURS"])
    try:
        app.config["COMMONS_URL"] = site_url(app.config["COMMONS_URL"])
    except ValueError as exc:
        raise RuntimeError(f"TOOL_COMMONS_URL: {exc}") from None
    app.config["CSP"] = content_security_policy(app.config["COMMONS_URL"])
    secret = app.config.get("SECRET_KEY")
    if not secret:
        if not app.config["DEV_LOGIN"]:
            raise RuntimeError("set TOOL_SECRET_KEY (a long random string) to sign sessions")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        log.warning("development login enabled: using a random, per-process secret key")
    elif len(str(secret)) < 16:
        raise RuntimeError("TOOL_SECRET_KEY is too short: use 16 or more random characters")
    if app.config["DEV_LOGIN"]:
        log.warning("TOOL_DEV_LOGIN is on: anyone can log in under any name")

    proxies = int(app.config["PROXY_FIX"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from review_ui import auth, bulk_tasks, licences, rules, runs, views

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(licences.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(rules.bp)
    bulk_tasks.init_app(app)
    app.teardown_appcontext(_close_store)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    for kind in STORE_ERRORS:
        app.register_error_handler(kind, _store_unavailable)
    app.add_url_rule("/healthz", "healthz", healthz)
    return app


# --------------------------------------------------------------------------- the store


def get_store() -> Store:
    """The store for this request, opened on first use and closed at teardown.

    One short-lived connection per request: the file lives on NFS next to the job, and a
    connection must never cross the fork of a pre-forking server. The web page never
    migrates; a file at another schema version is refused with 503.
    """
    store: Store | None = g.get("store")
    if store is None:
        path = current_app.config["DB_PATH"]
        location = store_location(path)
        if not location.exists():
            raise ServiceUnavailable(f"the database {location} does not exist")
        store = Store(path, migrate=False)
        g.store = store
        version = store.schema_version()
        if version != SCHEMA_VERSION:
            raise ServiceUnavailable(
                f"the database has schema version {version}; this page reads version "
                f"{SCHEMA_VERSION}"
            )
    return store


def _close_store(_exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def healthz() -> Response:
    """200 "ok" when the database opens and has the schema this code reads."""
    get_store().status_totals()
    return Response("ok", mimetype="text/plain")


# --------------------------------------------------------------------------- responses


def _security_headers(response: Response) -> Response:
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = current_app.config.get("CSP", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _http_error(error: HTTPException) -> Response | HTTPException:
    """Errors as pages in the site's style (plain text for /healthz)."""
    if request.endpoint == "healthz":
        return Response(
            error.description or "unavailable", status=error.code, mimetype="text/plain"
        )
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        log.warning("%s: %s", error.code, error.description)
    response = Response(render_template("error.html", error=error), status=error.code)
    allow = dict(error.get_headers()).get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def _store_unavailable(error: Exception) -> Response:
    """A store that cannot be read or written now (maintenance, server down, disk full):
    503 with a short page and ``Retry-After``, for reads and POSTs alike, instead of a
    traceback. Any other store error is a bug and goes on as one (500)."""
    failure = store_unavailable(error)
    if failure is None:
        raise error
    log.warning("503: %s", failure)
    if request.endpoint == "healthz":
        response = Response(f"unavailable: {failure}", status=503, mimetype="text/plain")
    else:
        response = Response(render_template("maintenance.html", reason=str(failure)), status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
