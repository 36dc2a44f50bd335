"""Commons' faults on the wire: which requests each kind hits and what the failure looks
like (the counting and the names are the shared model in :mod:`bot.standins.faults`);
and the one lag refusal a real one-server wiki gives without being told to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from bot.standins.faults import COMMONS_FAULTS, FaultQueue, FaultRule

FAULTS = COMMONS_FAULTS
ENDPOINTS = ("commons", "wikidata")
_WRITE_ACTIONS = ("wbeditentity", "edit")
_HTTP_503_PAGE = "<html><body><h1>503 Service Unavailable</h1></body></html>"


@dataclass
class CommonsFault(FaultRule):
    """A fault for one endpoint (``commons`` or ``wikidata``), with its kind's options."""

    endpoint: str = "commons"
    options: dict[str, Any] = field(default_factory=dict)

    def hits(self, endpoint: str, action: str, params: Mapping[str, str]) -> bool:
        """Whether this request is one the fault's kind can hit (as on the real wiki)."""
        if self.endpoint != endpoint or (self.target is not None and self.target != action):
            return False
        if self.kind == "maxlag":
            return "maxlag" in params
        if self.kind == "ratelimited":
            return action in _WRITE_ACTIONS
        if self.kind == "badtoken":
            return "token" in params
        if self.kind == "concurrent_edit":
            target = self.options.get("mid")
            return action == "wbeditentity" and not (target and params.get("id") != target)
        return True

    def as_state(self) -> dict[str, Any]:
        return {
            "fault": self.kind,
            "remaining": self.remaining,
            "action": self.target,
            "endpoint": self.endpoint,
            "options": self.options,
        }


def new_fault(
    kind: str, count: int, action: str | None, endpoint: str, options: Mapping[str, Any]
) -> CommonsFault:
    """A fault as :meth:`CommonsStandin.inject` takes it; ValueError for an unknown name."""
    if kind not in FAULTS:
        raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}")
    return CommonsFault(kind, count, action, endpoint, dict(options))


class CommonsFaults(FaultQueue[CommonsFault]):
    """The Commons stand-in's pending faults."""

    def take_for(
        self, endpoint: str, action: str, params: Mapping[str, str]
    ) -> CommonsFault | None:
        """The fault this request gets (counted as used), None if it gets none."""
        return self.take(lambda fault: fault.hits(endpoint, action, params))


def json_response(result: Mapping[str, Any]) -> Response:
    return Response(json.dumps(result), mimetype="application/json")


def unavailable() -> Response:
    """What the load balancer answers when the wiki behind it does not."""
    return Response(_HTTP_503_PAGE, status=503, mimetype="text/html")


def fault_response(fault: CommonsFault) -> Response:
    """The answer a fault of an HTTP-level kind gives instead of the API's."""
    retry_after = str(fault.options.get("retry_after", 0))
    if fault.kind == "http503":
        response = unavailable()
        if "retry_after" in fault.options:
            response.headers["Retry-After"] = retry_after
        return response
    if fault.kind == "maxlag":
        lag = float(fault.options.get("lag", 0.01))
        response = json_response(
            {
                "error": {
                    "code": "maxlag",
                    "info": f"Waiting for 10.64.0.1: {lag} seconds lagged.",
                    "host": "10.64.0.1",
                    "lag": lag,
                    "type": "db",
                    "*": "See https://www.mediawiki.org/wiki/Manual:Maxlag_parameter",
                }
            }
        )
        response.headers["Retry-After"] = retry_after
        response.headers["X-Database-Lag"] = str(lag)
        return response
    if fault.kind == "ratelimited":
        return json_response(
            {
                "error": {
                    "code": "ratelimited",
                    "info": "As an anti-abuse measure, you are limited from performing this "
                    "action too many times in a short space of time, and you have "
                    "exceeded this limit. Please try again in a few minutes.",
                }
            }
        )
    return json_response({"error": {"code": "badtoken", "info": "Invalid CSRF token."}})


def maxlag_refusal(params: Mapping[str, str]) -> Response | None:
    """A wiki with one database server reports a lag of -1: only ``maxlag`` < -1 trips."""
    try:
        maxlag = int(params.get("maxlag", ""))
    except ValueError:
        return None
    if maxlag >= -1:
        return None
    response = json_response(
        {
            "error": {
                "code": "maxlag",
                "info": "Waiting for a database server: -1 second lagged.",
                "host": "",
                "lag": -1,
                "type": "db",
            }
        }
    )
    response.headers.update(
        {"Retry-After": "5", "X-Database-Lag": "-1", "MediaWiki-API-Error": "maxlag"}
    )
    return response
