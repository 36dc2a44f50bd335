"""Logging in and tokens, as MediaWiki does them: session cookies, BotPassword login
(``User@suffix``), OAuth by consumer key and access token (the signature is not checked),
and tokens salted per type (pywikibot tells a token's type by its value)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from werkzeug.wrappers import Request

from bot.standins.commons.data import ANON_TOKEN, ApiError, Session, StandinData

TOKEN_TYPES = ("createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch")


class Accounts:
    """The sessions (cookie id → logged-in user or None) and their pending login tokens."""

    def __init__(self, data: StandinData) -> None:
        self.data = data
        self._sessions: dict[str, str | None] = {}
        self._login_tokens: dict[str, str] = {}

    def session_of(self, request: Request, cookie_name: str) -> Session:
        sid = request.cookies.get(cookie_name)
        if sid and sid in self._sessions:
            return Session(sid, False)
        sid = secrets.token_hex(16)
        self._sessions[sid] = None
        return Session(sid, True)

    def user_of(self, request: Request, session: Session) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("OAuth "):
            fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
            key, token = fields.get("oauth_consumer_key"), fields.get("oauth_token")
            if key and self.data.oauth.get(key) == token:
                return self.data.username
            raise ApiError(
                "mwoauth-invalid-authorization",
                "The authorization headers in your request are not valid: "
                "Invalid consumer or access token",
            )
        return self._sessions.get(session.sid)

    def csrf_token(self, session: Session, user: str | None, kind: str = "csrf") -> str:
        # Salted per type like MediaWiki's (pywikibot finds a token's type by its value).
        if user is None:
            return ANON_TOKEN
        return hashlib.sha1(f"{kind}|{session.sid}|{user}".encode()).hexdigest() + ANON_TOKEN

    def tokens(self, types: list[str], session: Session, user: str | None) -> dict[str, str]:
        tokens: dict[str, str] = {}
        for kind in types:
            if kind not in TOKEN_TYPES:
                raise ApiError("badvalue", f'Unrecognized value for parameter "type": {kind}.')
            if kind == "login":
                token = secrets.token_hex(16) + ANON_TOKEN
                self._login_tokens[session.sid] = token
                tokens["logintoken"] = token
            elif kind == "createaccount":
                tokens["createaccounttoken"] = secrets.token_hex(8) + ANON_TOKEN
            else:
                tokens[f"{kind}token"] = self.csrf_token(session, user, kind)
        return tokens

    def login(self, request: Request, params: dict[str, str], session: Session) -> dict[str, Any]:
        if request.method != "POST":
            raise ApiError("mustbeposted", 'The "login" module requires a POST request.')
        token = params.get("lgtoken")
        if not token or token != self._login_tokens.get(session.sid):
            return {
                "login": {
                    "result": "NeedToken" if not token else "WrongToken",
                    "token": self.tokens(["login"], session, None)["logintoken"],
                }
            }
        name, password = params.get("lgname", ""), params.get("lgpassword", "")
        del self._login_tokens[session.sid]
        if (
            self.data.botpasswords.get(name) != password
            or name.partition("@")[0] != self.data.username
        ):
            return {
                "login": {
                    "result": "Failed",
                    "reason": "Incorrect username or password entered. Please try again.",
                }
            }
        self._sessions[session.sid] = self.data.username
        return {"login": {"result": "Success", "lguserid": 4242, "lgusername": self.data.username}}

    # ----------------------------------------------------------------- Wikidata API

    def logout(self, session: Session) -> dict[str, Any]:
        self._sessions[session.sid] = None
        return {}
