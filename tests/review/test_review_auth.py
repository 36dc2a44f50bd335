"""Login: Wikimedia OAuth 2.0 against a local stand-in server, maintainers, dev login."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.store import Store
from review_ui import sample
from review_ui.app import create_app
from review_ui.auth import normalise_username

SECRET = "test-secret-key-0123456789"
CLIENT_ID = "0123456789abcdef0123456789abcdef"
CLIENT_SECRET = "stand-in-client-secret"


@pytest.fixture(autouse=True)
def no_tool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("TOOL_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "bot.db"
    with Store(path) as store:
        sample.seed(store, 4)
    return path


@pytest.fixture()
def db(seeded: Path, tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    shutil.copyfile(seeded, path)
    return path


# --------------------------------------------------------------------------- the stand-in


class StandIn:
    """A tiny Wikimedia OAuth 2.0 server: the token endpoint and the profile resource.

    It checks what meta.wikimedia.org checks (grant type, client credentials, the code it
    issued, the redirect URI, the PKCE verifier) and records every request it gets.
    """

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, str]] = {}  # code → what it was issued for
        self.tokens: dict[str, dict[str, Any]] = {}  # access token → profile
        self.requests: list[dict[str, Any]] = []
        self.fail_profile = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/w/rest.php/oauth2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def issue_code(
        self, code: str, *, challenge: str, redirect_uri: str, profile: dict[str, Any]
    ) -> None:
        """What the authorize step would do after the user clicks "Allow"."""
        self.codes[code] = {
            "challenge": challenge,
            "redirect_uri": redirect_uri,
            "profile": json.dumps(profile),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                stand_in.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "form": form,
                        "user_agent": self.headers.get("User-Agent"),
                    }
                )
                if not self.path.endswith("/access_token"):
                    return self.reply(404, {"error": "not_found"})
                issued = stand_in.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if (
                    form.get("grant_type") != "authorization_code"
                    or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                ):
                    return self.reply(401, {"error": "invalid_client"})
                if (
                    issued is None
                    or issued["redirect_uri"] != form.get("redirect_uri")
                    or issued["challenge"] != challenge
                ):
                    return self.reply(
                        400, {"error": "invalid_grant", "error_description": "bad code"}
                    )
                token = base64.b16encode(os.urandom(8)).decode()
                stand_in.tokens[token] = json.loads(issued["profile"])
                return self.reply(
                    200,
                    {
                        "token_type": "Bearer",
                        "expires_in": 14400,
                        "access_token": token,
                        "refresh_token": "r",
                    },
                )

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                stand_in.requests.append({"method": "GET", "path": self.path, "auth": auth})
                if not self.path.endswith("/resource/profile"):
                    return self.reply(404, {"error": "not_found"})
                if stand_in.fail_profile:
                    return self.reply(500, {"error": "server_error"})
                profile = stand_in.tokens.get(auth.removeprefix("Bearer "))
                if profile is None:
                    return self.reply(401, {"error": "invalid_token"})
                return self.reply(200, profile)

        return Handler


@pytest.fixture()
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def oauth_app(db: Path, stand_in: StandIn, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "DB_PATH": str(db),
        "SECRET_KEY": SECRET,
        "MAINTAINERS": "Alice Example",
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_AUTHORIZE_URL": stand_in.url + "/authorize",
        "OAUTH_ACCESS_TOKEN_URL": stand_in.url + "/access_token",
        "OAUTH_PROFILE_URL": stand_in.url + "/resource/profile",
    }
    settings.update(config)
    return create_app(settings)


def start_login(
    client: FlaskClient, stand_in: StandIn, next_url: str = "/conflict/2", **headers: str
) -> dict[str, str]:
    response = client.get(f"/login/wikimedia?next={next_url}", headers=headers)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == stand_in.url + "/authorize"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def finish_login(
    client: FlaskClient,
    stand_in: StandIn,
    params: dict[str, str],
    username: str = "Alice_Example",
    *,
    sub: str = "4242",
    blocked: bool = False,
) -> Any:
    stand_in.issue_code(
        "the-code",
        challenge=params["code_challenge"],
        redirect_uri=params["redirect_uri"],
        profile={
            "sub": sub,
            "username": username,
            "editcount": 10,
            "confirmed_email": True,
            "blocked": blocked,
            "groups": ["user"],
        },
    )
    return client.get(f"/oauth/callback?code=the-code&state={params['state']}")


# --------------------------------------------------------------------------- OAuth flow


def test_authorize_redirect_has_the_right_parameters(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://localhost/oauth/callback"
    assert len(params["state"]) >= 20
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert "client_secret" not in params


def test_behind_the_proxy_the_callback_is_https(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in, **{"X-Forwarded-Proto": "https"})
    assert params["redirect_uri"] == "https://localhost/oauth/callback"


def test_login_exchanges_the_code_and_reads_the_profile(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in)
    with client.session_transaction() as session:
        old_csrf = session.get("csrf")
    response = finish_login(client, stand_in, params)
    assert response.status_code == 302
    assert response.headers["Location"] == "/conflict/2"
    token_call, profile_call = stand_in.requests
    assert token_call["form"]["code"] == "the-code"
    assert token_call["form"]["redirect_uri"] == "http://localhost/oauth/callback"
    assert token_call["user_agent"].startswith("flickr-sdc-backfill-review/")
    assert profile_call["auth"].startswith("Bearer ")
    with client.session_transaction() as session:
        assert session["user"] == {
            "name": "Alice Example",
            "sub": "4242",
            "via": "oauth",
            "blocked": False,
        }
        assert session["csrf"] and session["csrf"] != old_csrf
        assert not any(key.startswith("_state_") for key in session)  # state used up
        assert "token" not in json.dumps(dict(session))  # the access token is not kept
    page = client.get("/conflict/2").get_data(as_text=True)
    assert "Logged in as <bdi>Alice Example</bdi>." in page
    assert 'id="decide-form"' in page  # "Alice Example" is on the maintainers list


def test_a_logged_in_maintainer_can_decide(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    finish_login(client, stand_in, start_login(client, stand_in))
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/conflict/2/decide", data={"csrf_token": token, "decision": "skip"})
    assert response.status_code == 303
    with Store(db, migrate=False) as store:
        assert store.conflict_history(2)[-1]["actor"] == "Alice Example"


def test_an_account_not_on_the_list_is_read_only(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    finish_login(client, stand_in, start_login(client, stand_in), username="Mallory")
    page = client.get("/conflict/2").get_data(as_text=True)
    assert "Mallory" in page and "read-only" in page and 'id="decide-form"' not in page
    with client.session_transaction() as session:
        token = session["csrf"]
    assert (
        client.post(
            "/conflict/2/decide", data={"csrf_token": token, "decision": "skip"}
        ).status_code
        == 403
    )


def test_a_forged_state_is_refused(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in)
    params["state"] = "forged-state"
    response = finish_login(client, stand_in, params)
    assert response.status_code == 400
    assert "Login failed" in response.get_data(as_text=True)
    assert stand_in.requests == []  # no code was exchanged
    with client.session_transaction() as session:
        assert "user" not in session


def test_a_callback_without_a_login_started_is_refused(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    assert client.get("/oauth/callback?code=x&state=y").status_code == 400


def test_the_user_saying_no_is_reported(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in)
    response = client.get(f"/oauth/callback?error=access_denied&state={params['state']}")
    assert response.status_code == 400
    assert "access_denied" in response.get_data(as_text=True)


def test_a_rejected_code_is_reported(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in)
    response = client.get(f"/oauth/callback?code=never-issued&state={params['state']}")
    assert response.status_code == 400
    assert "bad code" in response.get_data(as_text=True)


def test_a_wrong_client_secret_is_reported(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in, OAUTH_CLIENT_SECRET="wrong").test_client()
    response = finish_login(client, stand_in, start_login(client, stand_in))
    assert response.status_code == 400
    assert "invalid_client" in response.get_data(as_text=True)


def test_a_failing_profile_endpoint_is_a_502(db: Path, stand_in: StandIn) -> None:
    stand_in.fail_profile = True
    client = oauth_app(db, stand_in).test_client()
    response = finish_login(client, stand_in, start_login(client, stand_in))
    assert response.status_code == 502
    with client.session_transaction() as session:
        assert "user" not in session


def test_an_unreachable_login_service_is_a_502(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(
        db, stand_in, OAUTH_ACCESS_TOKEN_URL="http://127.0.0.1:9/none", OAUTH_TIMEOUT=2
    ).test_client()
    started = time.monotonic()
    response = finish_login(client, stand_in, start_login(client, stand_in))
    assert response.status_code == 502
    assert time.monotonic() - started < 10


# ``next`` values as they arrive in a query string: browsers drop tabs and newlines from
# a URL, so ``/<TAB>/evil.example/`` would be followed to //evil.example/.
OFF_SITE_TARGETS: Final = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil",
    "javascript:alert(1)",
    "/%09/evil.example/",  # tab
    "/%0a/evil.example/",  # newline (was a 500: a newline in the Location header)
    "/%0d%0a/evil.example/",
    "%09//evil.example/",
    "/%00/evil.example/",
    "/%20/evil.example/",
    "/%7f/evil.example/",
    "/%5c/evil.example/",  # backslash
    "/%5C%5Cevil.example/",
    "http:/evil.example/",
    "///evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_no_open_redirect_after_login(db: Path, stand_in: StandIn, target: str) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in, next_url=target)
    assert finish_login(client, stand_in, params).headers["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["/conflict/2", "/?reason=date_differs&title=Old%20harbour", "/bulk?decision=skip"]
)
def test_a_same_site_target_is_kept_after_login(db: Path, stand_in: StandIn, target: str) -> None:
    client = oauth_app(db, stand_in).test_client()
    params = start_login(client, stand_in, next_url=quote(target, safe=""))
    assert finish_login(client, stand_in, params).headers["Location"] == target


def test_without_oauth_configured_the_login_says_so(db: Path) -> None:
    client = create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET}).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Wikimedia login is not configured" in page
    assert client.get("/login/wikimedia").status_code == 503
    assert client.get("/oauth/callback?code=x&state=y").status_code == 404


def test_oauth_endpoints_default_to_meta(db: Path) -> None:
    app = create_app(
        {
            "DB_PATH": str(db),
            "SECRET_KEY": SECRET,
            "OAUTH_CLIENT_ID": CLIENT_ID,
            "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    location = app.test_client().get("/login/wikimedia").headers["Location"]
    assert location.startswith("https://meta.wikimedia.org/w/rest.php/oauth2/authorize?")
    assert app.config["OAUTH_ACCESS_TOKEN_URL"] == (
        "https://meta.wikimedia.org/w/rest.php/oauth2/access_token"
    )
    assert app.config["OAUTH_PROFILE_URL"] == (
        "https://meta.wikimedia.org/w/rest.php/oauth2/resource/profile"
    )


def test_oauth_credentials_from_the_environment(
    db: Path, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOL_OAUTH_CLIENT_ID", "12345")  # all digits: must stay text
    monkeypatch.setenv("TOOL_OAUTH_CLIENT_SECRET", "1e5")
    app = create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET})
    assert (app.config["OAUTH_CLIENT_ID"], app.config["OAUTH_CLIENT_SECRET"]) == ("12345", "1e5")
    location = app.test_client().get("/login/wikimedia").headers["Location"]
    assert "client_id=12345&" in location


def test_logout_ends_the_session(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    finish_login(client, stand_in, start_login(client, stand_in))
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "user" not in session
    assert "Log in" in client.get("/").get_data(as_text=True)


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def try_to_decide(client: FlaskClient, cid: int = 2) -> int:
    data = {"csrf_token": csrf_of(client), "decision": "skip"}
    return int(client.post(f"/conflict/{cid}/decide", data=data).status_code)


# --------------------------------------------------------------------------- sessions


def cookie_expiry(response: Any) -> datetime:
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("review_session=")
    )
    expires = next(p for p in header.split("; ") if p.startswith("Expires="))
    return parsedate_to_datetime(expires.removeprefix("Expires="))


@pytest.mark.parametrize(("env", "hours"), [(None, 12), ("2", 2), ("0.5", 0.5)])
def test_a_login_cookie_expires_after_the_session_lifetime(
    db: Path, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch, env: str | None, hours: float
) -> None:
    if env is not None:
        monkeypatch.setenv("TOOL_SESSION_HOURS", env)
    app = oauth_app(db, stand_in)
    assert app.permanent_session_lifetime == timedelta(hours=hours)
    client = app.test_client()
    response = finish_login(client, stand_in, start_login(client, stand_in))
    left = cookie_expiry(response) - datetime.now(UTC)
    assert timedelta(hours=hours) - timedelta(minutes=1) < left <= timedelta(hours=hours)


def test_a_login_ends_after_the_lifetime_even_when_used_meanwhile(
    db: Path, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = oauth_app(db, stand_in).test_client()
    finish_login(client, stand_in, start_login(client, stand_in))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 11 * 3600)
    assert try_to_decide(client) == 303  # 11 h later: still logged in (and the cookie renewed)
    assert "Alice Example" in client.get("/").get_data(as_text=True)
    monkeypatch.setattr(time, "time", lambda: real_time() + 13 * 3600)
    page = client.get("/").get_data(as_text=True)
    assert "Alice Example" not in page and "Log in" in page
    assert try_to_decide(client, 3) == 403
    with Store(db, migrate=False) as store:
        assert store.conflict_history(3)[-1]["actor"] == "bot"


def test_a_session_from_before_lifetimes_counts_as_logged_out(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in).test_client()
    with client.session_transaction() as session:  # what the old code left in the cookie
        session["user"] = {"name": "Alice Example", "sub": "4242", "via": "oauth"}
        session["csrf"] = "t"
    assert "Alice Example" not in client.get("/").get_data(as_text=True)
    assert try_to_decide(client) == 403


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "1000"])
def test_a_nonsense_session_lifetime_is_refused(
    db: Path, monkeypatch: pytest.MonkeyPatch, hours: str
) -> None:
    monkeypatch.setenv("TOOL_SESSION_HOURS", hours)
    with pytest.raises(RuntimeError, match="TOOL_SESSION_HOURS"):
        create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET})


# --------------------------------------------------------------------------- maintainers


def test_a_maintainer_listed_by_global_id_stays_one_after_a_rename(
    db: Path, stand_in: StandIn
) -> None:
    client = oauth_app(db, stand_in, MAINTAINERS="Someone else, id:4242").test_client()
    finish_login(client, stand_in, start_login(client, stand_in), "Alice_Renamed", sub="4242")
    page = client.get("/conflict/2").get_data(as_text=True)
    assert "Alice Renamed" in page and 'id="decide-form"' in page
    assert try_to_decide(client) == 303
    with Store(db, migrate=False) as store:
        assert store.conflict_history(2)[-1]["actor"] == "Alice Renamed"


def test_another_global_id_is_not_enough(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in, MAINTAINERS="id:4243").test_client()
    finish_login(client, stand_in, start_login(client, stand_in), sub="4242")
    assert 'id="decide-form"' not in client.get("/conflict/2").get_data(as_text=True)
    assert try_to_decide(client) == 403


def test_a_blocked_maintainer_is_read_only(db: Path, stand_in: StandIn) -> None:
    client = oauth_app(db, stand_in, MAINTAINERS="Alice Example, id:4242").test_client()
    response = finish_login(client, stand_in, start_login(client, stand_in), blocked=True)
    assert response.status_code == 302
    page = client.get("/conflict/2").get_data(as_text=True)
    assert "Your account is blocked, so this page is read-only for you." in page
    assert "read-only: blocked" in page and "<bdi>Alice Example</bdi> is blocked" in page
    assert 'id="decide-form"' not in page
    assert try_to_decide(client) == 403
    assert client.get("/bulk?decision=skip").status_code == 403


def test_maintainer_entries_by_name_and_by_global_id() -> None:
    from review_ui import auth

    found = auth._entries(
        ["id:12345", "ID : 0042  # old account", "id:abc", "id:", "bob_smith # operator", ""]
    )
    assert found == auth.Maintainers(names=frozenset({"Bob smith"}), ids=frozenset({"12345", "42"}))


def test_a_global_id_entry_counts_only_for_wikimedia_logins(db: Path) -> None:
    from review_ui import auth

    app = create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS": "id:4242"})
    with app.test_request_context():
        assert auth.is_maintainer({"name": "A", "via": "oauth", "sub": "4242"})
        assert auth.is_maintainer({"name": "A", "via": "oauth", "sub": "04242"})
        assert not auth.is_maintainer({"name": "A", "via": "dev", "sub": "4242"})
        assert not auth.is_maintainer({"name": "A", "via": "oauth", "sub": ""})
        assert not auth.is_maintainer({"name": "Id:4242", "via": "oauth", "sub": "1"})
        assert not auth.is_maintainer({"name": "A", "via": "oauth", "sub": "4242", "blocked": True})


# --------------------------------------------------------------------------- maintainers files


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice_example", "Alice example"),
        ("  Alice   Example ", "Alice Example"),
        ("ÉDITH", "ÉDITH"),
        ("", ""),
    ],
)
def test_usernames_are_compared_in_mediawiki_form(raw: str, expected: str) -> None:
    assert normalise_username(raw) == expected


def test_maintainers_file_with_comments_is_reread_when_it_changes(db: Path, tmp_path: Path) -> None:
    listing = tmp_path / "maintainers.txt"
    listing.write_text("# maintainers\n\nbob_smith  # the operator\n# Mallory\n", encoding="utf-8")
    app = create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS_FILE": str(listing)})
    from review_ui import auth

    with app.test_request_context():
        assert auth.maintainers().names == {"Bob smith"}
        assert auth.is_maintainer({"name": "Bob_smith", "via": "oauth"})
        assert not auth.is_maintainer({"name": "Mallory", "via": "oauth"})
        listing.write_text("Bob smith\nMallory\n", encoding="utf-8")
        os.utime(listing, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        assert auth.maintainers().names == {"Bob smith", "Mallory"}


def test_the_environment_list_replaces_the_file(db: Path, tmp_path: Path) -> None:
    listing = tmp_path / "maintainers.txt"
    listing.write_text("Carol\n", encoding="utf-8")
    app = create_app(
        {
            "DB_PATH": str(db),
            "SECRET_KEY": SECRET,
            "MAINTAINERS_FILE": str(listing),
            "MAINTAINERS": "Dave,erin_x\nFrank",
        }
    )
    from review_ui import auth

    with app.test_request_context():
        assert auth.maintainers().names == {"Dave", "Erin x", "Frank"}


def test_a_missing_maintainers_file_means_nobody_decides(db: Path, tmp_path: Path) -> None:
    app = create_app(
        {"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS_FILE": str(tmp_path / "none.txt")}
    )
    from review_ui import auth

    with app.test_request_context():
        assert auth.maintainers() == auth.Maintainers(frozenset(), frozenset())


def test_the_sample_maintainers_file_parses() -> None:
    from review_ui import auth
    from review_ui.app import DEFAULTS

    path = Path(DEFAULTS["MAINTAINERS_FILE"])
    assert path.is_file()
    assert auth._maintainers_from_file(str(path)).names == {"Example maintainer"}


# --------------------------------------------------------------------------- dev login


def dev_app(db: Path, monkeypatch: pytest.MonkeyPatch, **config: Any) -> Flask:
    """An app with the development login, switched on the only way there is."""
    monkeypatch.setenv("TOOL_DEV_LOGIN", "1")
    return create_app({"DB_PATH": str(db), "MAINTAINERS": "Alice", **config})


def csrf_from(client: FlaskClient, url: str = "/login") -> str:
    import re

    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_configuration_cannot_turn_on_the_dev_login(db: Path) -> None:
    for value in (True, 1, "1"):
        with pytest.raises(RuntimeError, match="TOOL_DEV_LOGIN"):
            create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET, "DEV_LOGIN": value})


def test_dev_login_is_404_unless_enabled(db: Path) -> None:
    client = create_app({"DB_PATH": str(db), "SECRET_KEY": SECRET}).test_client()
    with client.session_transaction() as session:
        session["csrf"] = "t"
    assert (
        client.post(
            "/dev-login", data={"csrf_token": "t", "username": "Eve", "maintainer": "1"}
        ).status_code
        == 404
    )
    assert "Development login" not in client.get("/login").get_data(as_text=True)


def test_dev_login_as_maintainer_or_reader(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = dev_app(db, monkeypatch).test_client()
    assert client.post("/dev-login", data={"username": "Dev"}).status_code == 400  # no CSRF
    token = csrf_from(client)
    response = client.post(
        "/dev-login",
        data={
            "csrf_token": token,
            "username": "dev_person",
            "maintainer": "1",
            "next": "/conflict/3",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/conflict/3"
    page = client.get("/conflict/3").get_data(as_text=True)
    assert "Dev person" in page and 'id="decide-form"' in page
    reader = dev_app(db, monkeypatch).test_client()
    reader.post("/dev-login", data={"csrf_token": csrf_from(reader), "username": "Reader"})
    assert 'id="decide-form"' not in reader.get("/conflict/3").get_data(as_text=True)


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_no_open_redirect_after_dev_login(
    db: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    client = dev_app(db, monkeypatch).test_client()
    # the login page carries ``next`` into the form; the form is posted as the browser would
    page = client.get(f"/login?next={target}").get_data(as_text=True)
    assert 'name="next" value="/"' in page
    response = client.post(
        "/dev-login",
        data={"csrf_token": csrf_from(client), "username": "Dev", "next": unquote(target)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_dev_session_is_worthless_once_dev_login_is_off(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = dev_app(db, monkeypatch, SECRET_KEY=SECRET)
    client = app.test_client()
    client.post(
        "/dev-login", data={"csrf_token": csrf_from(client), "username": "Dev", "maintainer": "1"}
    )
    cookie = client.get_cookie("review_session")
    assert cookie is not None
    monkeypatch.delenv("TOOL_DEV_LOGIN")
    production = create_app(
        {"DB_PATH": str(db), "SECRET_KEY": SECRET, "MAINTAINERS": "Alice"}
    ).test_client()
    production.set_cookie("review_session", cookie.value)
    page = production.get("/conflict/3").get_data(as_text=True)
    assert "Dev" not in page.split('class="account"')[1].split("</nav>")[0]
    assert 'id="decide-form"' not in page
