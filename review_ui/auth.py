"""Who is looking: Wikimedia OAuth 2.0 login, the maintainers list, CSRF, the dev login.

Reading the queue needs no account (unless ``PUBLIC_READ`` is off); deciding needs a
login on the maintainers list, by username or by global account id (``id:12345``, the
profile's ``sub``), and an account the profile does not report as blocked. The access
token is used once, to read the profile, and then dropped: the page never acts on a wiki
in the user's name. A login lasts ``SESSION_HOURS`` from the moment it was made.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from review_ui import render

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

# Pages anyone may see even when PUBLIC_READ is off.
OPEN_ENDPOINTS: Final = frozenset(
    {
        "auth.login",
        "auth.oauth_start",
        "auth.callback",
        "auth.dev_login",
        "auth.logout",
        "static",
        "healthz",
    }
)
_EXTENSION: Final = "review_ui.oauth"


def init_app(app: Flask) -> None:
    """Register the OAuth client (when configured) and the per-request checks."""
    if app.config.get("OAUTH_CLIENT_ID"):
        oauth = OAuth(app)
        app.extensions[_EXTENSION] = oauth.register(
            name="wikimedia",
            client_id=str(app.config["OAUTH_CLIENT_ID"]),
            client_secret=str(app.config.get("OAUTH_CLIENT_SECRET") or ""),
            authorize_url=app.config["OAUTH_AUTHORIZE_URL"],
            access_token_url=app.config["OAUTH_ACCESS_TOKEN_URL"],
            user_agent=app.config["USER_AGENT"],
            client_kwargs={
                # MediaWiki documents the client credentials in the POST body
                "token_endpoint_auth_method": "client_secret_post",
                "code_challenge_method": "S256",
                "default_timeout": app.config["OAUTH_TIMEOUT"],
            },
        )
    app.before_request(check_csrf)
    app.before_request(check_public_read)
    app.context_processor(_template_context)


def _template_context() -> dict[str, Any]:
    return {
        "user": current_user(),
        "is_maintainer": is_maintainer(),
        "dev_login": current_app.config["DEV_LOGIN"],
        "oauth_configured": _EXTENSION in current_app.extensions,
        "csrf_token": csrf_token,
    }


# --------------------------------------------------------------------------- users


def normalise_username(name: str) -> str:
    """MediaWiki's form: underscores are spaces, runs of spaces collapse, first letter upper."""
    name = " ".join(name.replace("_", " ").split())
    return name[:1].upper() + name[1:]


def current_user() -> dict[str, Any] | None:
    """The logged-in user, or None. A dev-login session counts only while DEV_LOGIN is on,
    and any login only until ``SESSION_HOURS`` after it was made (the cookie's own expiry
    moves on with every visit, so it alone would let a login live for ever)."""
    user = session.get("user")
    if not isinstance(user, dict) or not user.get("name"):
        return None
    if user.get("via") == "dev" and not current_app.config["DEV_LOGIN"]:
        return None
    since = session.get("login_at")
    lifetime: timedelta = current_app.permanent_session_lifetime
    if not isinstance(since, int | float) or time.time() - since > lifetime.total_seconds():
        return None
    return user


@dataclass(frozen=True, slots=True)
class Maintainers:
    """The allow-list: usernames (MediaWiki form) and global account ids (CentralAuth)."""

    names: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()


_ID_ENTRY: Final = re.compile(r"^id\s*:\s*(\S*)$", re.IGNORECASE)

_file_cache: dict[str, tuple[tuple[int, int], Maintainers]] = {}


def _entries(lines: Iterable[str]) -> Maintainers:
    """One entry a line (or comma-separated): ``Username`` or ``id:12345``; ``#`` comments.
    ``:`` cannot occur in a MediaWiki username, so ``id:`` is never a name."""
    names: set[str] = set()
    ids: set[str] = set()
    for line in lines:
        entry = line.split("#", 1)[0].strip()
        match = _ID_ENTRY.match(entry)
        if match:
            if match.group(1).isdigit():
                ids.add(str(int(match.group(1))))
            else:
                log.warning("maintainers: %r is not a global account id; ignored", entry)
        elif entry:
            names.add(normalise_username(entry))
    return Maintainers(names=frozenset(names), ids=frozenset(ids))


def _maintainers_from_file(path: str) -> Maintainers:
    """The allow-list file, re-read when it changes (no restart needed to add someone)."""
    try:
        stat = os.stat(path)
    except OSError:
        log.warning("maintainers file %s not found: nobody may decide", path)
        return Maintainers()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _file_cache.get(path)
    if cached and cached[0] == key:
        return cached[1]
    with open(path, encoding="utf-8") as fh:
        found = _entries(fh)
    _file_cache[path] = (key, found)
    return found


def maintainers() -> Maintainers:
    """``MAINTAINERS`` (commas or newlines) when set, else the ``MAINTAINERS_FILE``."""
    raw = current_app.config.get("MAINTAINERS")
    if raw:
        items = (
            raw if isinstance(raw, list | tuple | set | frozenset) else re.split(r"[,\n]", str(raw))
        )
        return _entries(str(i) for i in items)
    return _maintainers_from_file(str(current_app.config["MAINTAINERS_FILE"]))


def is_maintainer(user: dict[str, Any] | None = None) -> bool:
    """On the list by global account id (Wikimedia login only) or by username, and not
    blocked: a blocked account reads, like everyone else, but does not decide."""
    user = user if user is not None else current_user()
    if user is None or user.get("blocked"):
        return False
    if user.get("via") == "dev" and user.get("dev_maintainer"):
        return True
    allowed = maintainers()
    sub = str(user.get("sub") or "")
    if user.get("via") == "oauth" and sub.isdigit() and str(int(sub)) in allowed.ids:
        return True
    return normalise_username(str(user["name"])) in allowed.names


def maintainer_required(view: F) -> F:
    """403 for anyone not on the maintainers list (logged in or not)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_maintainer():
            abort(403, "Only maintainers of this tool may decide conflicts.")
        return view(*args, **kwargs)

    return cast(F, wrapper)


def actor_name() -> str:
    user = current_user()
    assert user is not None
    return str(user["name"])


# --------------------------------------------------------------------------- CSRF


def csrf_token() -> str:
    """The session's CSRF token, made on first use (forms call this)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Every POST carries the session's token: 400 when missing, 403 when wrong."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not sent:
        abort(400, "The form's CSRF token is missing. Reload the page and try again.")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, "The form's CSRF token is wrong or expired. Reload the page and try again.")


def check_public_read() -> Response | None:
    """With PUBLIC_READ off, non-maintainers see the login page and nothing else."""
    if current_app.config["PUBLIC_READ"] or request.endpoint in OPEN_ENDPOINTS:
        return None
    if is_maintainer():
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403, "Only maintainers of this tool may use it.")


# ASCII controls, space, DEL and backslash: browsers drop tabs and newlines from a URL
# (``/\t/evil.example`` becomes ``//evil.example``), read ``\`` as ``/``, and a newline
# in a Location header is an error.
_UNSAFE_IN_NEXT: Final = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would be a phishing aid.

    A target is kept only when it is a plain path on this site: it starts with exactly
    one ``/``, has no scheme or host however a browser might read it, and holds no
    control, whitespace or backslash character. Anything else goes to the queue.
    """
    if (
        not target
        or _UNSAFE_IN_NEXT.search(target)
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("review.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("review.queue")
    return target


def _start_session(user: dict[str, Any]) -> None:
    """A fresh session (no fixation): the user, when they logged in, and a new CSRF token.
    Permanent, so the cookie carries an expiry (``PERMANENT_SESSION_LIFETIME``)."""
    session.clear()
    session.permanent = True
    session["user"] = user
    session["login_at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


# --------------------------------------------------------------------------- routes


@bp.get("/login")
def login() -> str:
    return render_template("login.html", next=safe_next(request.args.get("next")))


@bp.get("/login/wikimedia")
def oauth_start() -> Response:
    client = current_app.extensions.get(_EXTENSION)
    if client is None:
        abort(
            503,
            "Wikimedia login is not configured here "
            "(TOOL_OAUTH_CLIENT_ID and TOOL_OAUTH_CLIENT_SECRET are unset).",
        )
    session["login_next"] = safe_next(request.args.get("next"))
    response: Response = client.authorize_redirect(url_for("auth.callback", _external=True))
    return response


@bp.get("/oauth/callback")
def callback() -> Response:
    client = current_app.extensions.get(_EXTENSION)
    if client is None:
        abort(404)
    try:
        token = client.authorize_access_token()
        reply = client.get(current_app.config["OAUTH_PROFILE_URL"], token=token)
        reply.raise_for_status()
        profile = reply.json()
    except OAuthError as exc:
        abort(400, f"Login failed: {exc.description or exc.error}")
    except (requests.RequestException, ValueError) as exc:
        log.warning("OAuth token or profile request failed: %s", exc)
        abort(502, "Wikimedia's login service did not answer as expected. Try again later.")
    username = profile.get("username") if isinstance(profile, dict) else None
    if not isinstance(username, str) or not username.strip():
        abort(502, "Wikimedia's login service returned no username.")
    target = safe_next(session.get("login_next"))
    blocked = profile.get("blocked") is True
    _start_session(
        {
            "name": normalise_username(username),
            "sub": str(profile.get("sub", "")),
            "via": "oauth",
            "blocked": blocked,
        }
    )
    flash(Markup("Logged in as {}.").format(render.bdi(normalise_username(username))), "success")
    if blocked:
        flash("Your account is blocked, so this page is read-only for you.", "warning")
    return redirect(target)


@bp.post("/dev-login")
def dev_login() -> Response:
    """Password-less login for local development; 404 unless DEV_LOGIN is on."""
    if not current_app.config["DEV_LOGIN"]:
        abort(404)
    name = normalise_username(request.form.get("username", ""))
    if not name or len(name) > 85:
        abort(400, "Give a username (at most 85 characters).")
    _start_session(
        {"name": name, "via": "dev", "dev_maintainer": request.form.get("maintainer") == "1"}
    )
    flash(Markup("Logged in as {} with the development login.").format(render.bdi(name)), "success")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash("Logged out.", "success")
    return redirect(url_for("review.queue"))
