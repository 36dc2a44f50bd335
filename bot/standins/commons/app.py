"""The Commons stand-in as a WSGI app: routing to the Commons and Wikidata endpoints and
the control API, request counting and logging, faults, and the answer's envelope."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from bot.standins.commons import edit, read
from bot.standins.commons.auth import Accounts
from bot.standins.commons.data import (
    COMMONS_PATH,
    WIKIDATA_PATH,
    ApiError,
    Session,
    StandinData,
    split_values,
)
from bot.standins.commons.faults import (
    CommonsFault,
    CommonsFaults,
    fault_response,
    json_response,
    maxlag_refusal,
    new_fault,
    unavailable,
)
from bot.standins.commons.siteinfo import paraminfo
from bot.standins.commons.wiki import Wiki
from bot.standins.serving import CONTROL_PREFIX

_SECRET_PARAMS = frozenset({"lgpassword", "password", "token", "lgtoken", "logintoken"})
_INJECT_KEYS = {"fault", "count", "action", "endpoint", "options"}


class CommonsStandin(Wiki):
    """The wiki served over HTTP (:func:`run_commons_standin` serves it): what it was asked,
    the faults it was told to produce, and the sessions of those who logged in."""

    def __init__(self, data: StandinData | Mapping[str, Any] | Path | None = None) -> None:
        super().__init__(data)
        self.requests: Counter[str] = Counter()
        """Requests by action; queries also by module (``query+revisions``), Wikidata's
        as ``wikidata:<action>``, HTTP-level faults as ``fault:<kind>``."""
        self.log: list[dict[str, Any]] = []
        self.request_times: list[tuple[float, str]] = []
        self.api_url = ""
        self.wikidata_api_url = ""
        self.port = 0
        self.faults = CommonsFaults()
        self.accounts = Accounts(self.data)

    # ----------------------------------------------------------------- test helpers

    def inject(
        self,
        fault: str,
        count: int = 1,
        *,
        action: str | None = None,
        endpoint: str = "commons",
        **options: Any,
    ) -> None:
        """Make the next ``count`` matching requests fail.

        ``maxlag`` hits only requests that carry ``maxlag=`` (as MediaWiki; options
        ``lag`` seconds, default 0.01, and ``retry_after`` for the Retry-After header,
        default 0); ``ratelimited`` hits write actions; ``http503`` any request (option
        ``retry_after``); ``badtoken`` requests that send a token; ``concurrent_edit``
        makes a person edit the file (options ``mid``, ``claims`` as in wbeditentity,
        ``wikitext``) just before the next ``wbeditentity`` on it is processed;
        ``lost_response`` carries the request out but answers HTTP 503 (an edit that
        landed although the bot never heard back). ``action`` narrows any of them to
        one API action.
        """
        self.faults.add(new_fault(fault, count, action, endpoint, options))

    def pending_faults(self) -> int:
        """How many injected failures have not happened yet."""
        return self.faults.remaining()

    def reset_counters(self) -> None:
        """Forget requests, writes and the log (state stays)."""
        with self.lock:
            self.requests.clear()
            self.writes.clear()
            self.write_attempts.clear()
            self.log.clear()
            self.request_times.clear()

    def state(self) -> dict[str, Any]:
        """What the stand-in has seen: writes, write attempts, requests, pending faults."""
        with self.lock:
            return {
                "writes": len(self.writes),
                "write_attempts": len(self.write_attempts),
                "writes_by_mid": dict(Counter(w["mid"] for w in self.writes)),
                "requests": dict(sorted(self.requests.items())),
                "pending_faults": [f.as_state() for f in self.faults.pending()],
            }

    # ----------------------------------------------------------------- WSGI

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        if request.path == COMMONS_PATH:
            endpoint = "commons"
        elif request.path == WIKIDATA_PATH:
            endpoint = "wikidata"
        else:
            return Response("Not Found", status=404, mimetype="text/plain")
        params = {key: value for key, value in request.values.items()}
        action = params.get("action", "help")
        with self.lock:
            self._record(request, endpoint, action, params)
            refusal = maxlag_refusal(params) if endpoint == "commons" else None
            if refusal is not None:
                return refusal
            fault = self._fault_for(endpoint, action, params)
            if fault is not None and fault.kind != "lost_response":
                return fault_response(fault)
            session = self.accounts.session_of(request, self._cookie_name)
            response = json_response(self._answer(request, endpoint, action, params, session))
            if fault is not None:  # lost_response: done, but the answer is lost
                response = unavailable()
            if session.new:
                response.set_cookie(self._cookie_name, session.sid, httponly=True)
            return response

    def _record(
        self, request: Request, endpoint: str, action: str, params: Mapping[str, str]
    ) -> None:
        prefix = "wikidata:" if endpoint == "wikidata" else ""
        self.requests[prefix + action] += 1
        if action == "query":
            for kind in ("prop", "list", "meta"):
                for module in split_values(params.get(kind)):
                    self.requests[f"{prefix}query+{module}"] += 1
        self.log.append(
            {
                "endpoint": endpoint,
                "method": request.method,
                "user_agent": request.headers.get("User-Agent", ""),
                "params": {k: ("***" if k in _SECRET_PARAMS else v) for k, v in params.items()},
            }
        )
        self.request_times.append((time.monotonic(), action))

    def _fault_for(
        self, endpoint: str, action: str, params: Mapping[str, str]
    ) -> CommonsFault | None:
        """The fault this request gets; a concurrent edit happens here and gives none."""
        fault = self.faults.take_for(endpoint, action, params)
        if fault is None:
            return None
        if fault.kind == "concurrent_edit":
            mid = fault.options.get("mid") or params.get("id", "")
            self.human_edit(
                mid, claims=fault.options.get("claims"), wikitext=fault.options.get("wikitext")
            )
            self.requests["fault:concurrent_edit"] += 1
            return None
        self.requests[f"fault:{fault.kind}"] += 1
        return fault

    def _answer(
        self,
        request: Request,
        endpoint: str,
        action: str,
        params: dict[str, str],
        session: Session,
    ) -> dict[str, Any]:
        try:
            user = self.accounts.user_of(request, session)
            if endpoint == "wikidata":
                return read.wikidata(self.data, action, params)
            return self._commons(request, action, params, session, user)
        except ApiError as exc:
            return {
                "error": {
                    "code": exc.code,
                    "info": exc.info,
                    **exc.extra,
                    "*": "See the stand-in's module docstring.",
                },
                "servedby": "commons-standin",
            }

    def _control(self, request: Request) -> Response:
        """``POST /_standin/inject`` and ``GET /_standin/state`` (see the module docstring)."""
        name = request.path[len(CONTROL_PREFIX) :]
        if name == "state" and request.method == "GET":
            return json_response(self.state())
        if name != "inject" or request.method != "POST":
            return Response("Not Found", status=404, mimetype="text/plain")
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            unknown = set(body) - _INJECT_KEYS
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            self.inject(
                str(body.get("fault", "")),
                int(body.get("count", 1)),
                action=body.get("action"),
                endpoint=str(body.get("endpoint", "commons")),
                **dict(body.get("options") or {}),
            )
        except (ValueError, TypeError) as exc:
            return Response(
                json.dumps({"error": str(exc)}), status=400, mimetype="application/json"
            )
        return json_response({"ok": True, **self.state()})

    @property
    def _cookie_name(self) -> str:
        # Cookies ignore ports: name them per stand-in so two stand-ins do not mix sessions.
        return f"standin{self.port}Session"

    # ----------------------------------------------------------------- Commons API

    def _commons(
        self,
        request: Request,
        action: str,
        params: dict[str, str],
        session: Session,
        user: str | None,
    ) -> dict[str, Any]:
        if action == "query":
            server = self.api_url.removesuffix(COMMONS_PATH)
            return read.query(self, self.accounts, params, session, user, server)
        if action == "wbgetentities":
            return self._wbgetentities(params, user)
        if action == "wbeditentity":
            return self._wbeditentity(request, params, session, user)
        if action == "login":
            return self.accounts.login(request, params, session)
        if action == "logout":
            return self.accounts.logout(session)
        if action == "paraminfo":
            return paraminfo(split_values(params.get("modules")))
        raise ApiError("badvalue", f'Unrecognized value for parameter "action": {action}.')

    # Tests wrap these two per instance (a crash mid-edit, Commons answering nonsense).

    def _wbgetentities(self, params: dict[str, str], user: str | None) -> dict[str, Any]:
        return read.wbgetentities(self, params, user)

    def _apply_wbeditentity(
        self, request: Request, params: dict[str, str], session: Session, user: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        csrf = self.accounts.csrf_token(session, user)
        return edit.apply_wbeditentity(self, request.method, params, csrf, user)

    def _wbeditentity(
        self, request: Request, params: dict[str, str], session: Session, user: str | None
    ) -> dict[str, Any]:
        attempt: dict[str, Any] = {
            "params": {k: v for k, v in params.items() if k != "token"},
            "user": user,
            "time": time.monotonic(),
        }
        self.write_attempts.append(attempt)
        try:
            result, record = self._apply_wbeditentity(request, params, session, user)
        except ApiError as exc:
            attempt["error"] = exc.code
            raise
        attempt["revid"] = record["revid"]
        return result
