"""``backfill plan``: what the bot would do to one file, offline, from saved API responses.

Reads the file's mediainfo entity (a whole ``wbgetentities`` response or one entity), the
photo's ``flickr.photos.getInfo`` body (``format=json&nojsoncallback=1``), and optionally
the owner's ``flickr.people.getInfo`` body and the ``wbgetentities`` response for creator
items on Wikidata; prints the plan JSON (``bot.core.reconcile.Plan.to_json``). Nothing is
fetched or written, so the output can be attached to a bug report or a review discussion.

Like the job, it takes the file's evidence (photo ids, owner) from the entity itself
(``bot.core.evidence``). A getInfo error body (``{"stat": "fail", "code": 1, ...}``) means the
photo is gone; its id then comes from ``--photo-id`` or, if it names exactly one, the
evidence. A gone photo gets a creator only from ``--flickr-owner``, as the job only
writes one for an account people.getInfo says exists; a people.getInfo error body with
code 5 (``User deleted``) says the account is gone, and then no creator is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from bot.core import ids
from bot.core.errors import UsageError
from bot.core.evidence import MalformedEntity, evidence_from_entity
from bot.core.flickr_photo import FlickrOwner, FlickrPhoto, FlickrPhotoGone
from bot.core.wikibase import (
    entity_from_response,
    is_missing,
    rank_of,
    statements_for,
    string_value,
)

if TYPE_CHECKING:
    from bot.core.reconcile import Plan

# bot.adapters.flickr (httpx), bot.core.claims and bot.core.reconcile are imported where they are used:
# ``backfill`` builds every subcommand's parser on start, and ``backfill extract`` over
# a dump should not pay for the Flickr client's imports.


class PlanInputError(UsageError):
    """An input file that cannot be used; the message says which and why."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` to the ``backfill`` command line."""
    parser = subparsers.add_parser(
        "plan",
        help="plan the structured-data edit for one file from saved API responses (offline)",
        description=(
            "Print the plan JSON for one Commons file: the actions per property, the "
            "wbeditentity payload (or null) and licence information. Offline: every "
            "input is a saved API response."
        ),
    )
    parser.add_argument(
        "--entity",
        required=True,
        type=Path,
        metavar="ENTITY.json",
        help="the file's mediainfo: a wbgetentities response or one entity",
    )
    parser.add_argument(
        "--flickr-photo",
        required=True,
        type=Path,
        metavar="GETINFO.json",
        help="flickr.photos.getInfo response (format=json&nojsoncallback=1); an error body means gone",
    )
    parser.add_argument(
        "--flickr-owner",
        type=Path,
        metavar="PEOPLE_GETINFO.json",
        help=(
            "flickr.people.getInfo response for the owner (a code-5 error body: the account "
            "is deleted); a gone photo gets a creator only from this"
        ),
    )
    parser.add_argument(
        "--wikidata",
        type=Path,
        metavar="WBGETENTITIES.json",
        help="wbgetentities response (Wikidata) for creator items, to compare their P3267",
    )
    parser.add_argument(
        "--photo-id", help="the photo id, when the getInfo body is an error (photo gone)"
    )
    parser.add_argument(
        "--evidence-photo-id",
        action="append",
        metavar="ID",
        help="Flickr photo id cited by the file (repeatable); default: read from the entity",
    )
    parser.set_defaults(func=run)


def _load(path: Path, what: str) -> Any:
    """A JSON file, or a PlanInputError naming the option."""
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise PlanInputError(f"{what}: cannot read {path}: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise PlanInputError(f"{what}: {path} is not JSON: {exc}") from exc


def load_entity(body: Any) -> dict[str, Any]:
    """The one mediainfo entity of a wbgetentities response (or the entity given as is)."""
    if not isinstance(body, Mapping):
        raise PlanInputError("--entity: expected a JSON object")
    try:
        entity = entity_from_response(body)
    except ValueError as exc:
        raise PlanInputError(f"--entity: {exc}") from exc
    if not entity.get("id"):
        what = "the file does not exist" if is_missing(entity) else "the entity has no id"
        raise PlanInputError(f"--entity: {what}")
    return entity


def wikidata_flickr_ids(body: Any) -> dict[str, list[str]]:
    """QID → its P3267 (Flickr user ID) values, from a Wikidata wbgetentities response.

    Deprecated values are left out; a missing item maps to no values.
    """
    entities = body.get("entities") if isinstance(body, Mapping) else None
    if not isinstance(entities, Mapping):
        raise PlanInputError("--wikidata: expected a wbgetentities response with 'entities'")
    found: dict[str, list[str]] = {}
    for qid, item in entities.items():
        values = [
            value
            for statement in statements_for(item, ids.P_FLICKR_USER_ID)
            if rank_of(statement) != "deprecated"
            and (value := string_value(statement["mainsnak"])) is not None
        ]
        found[str(item.get("id") or qid)] = values
        if item.get("redirects", {}).get("from"):
            found[str(item["redirects"]["from"])] = values
    return found


def photo_from_body(body: Any, photo_id: str | None) -> FlickrPhoto | FlickrPhotoGone:
    from bot.adapters.flickr import FlickrResponseError, gone_from_error, parse_photo_info

    """A getInfo body as a photo, or as gone for an error that means gone."""
    if not isinstance(body, Mapping):
        raise PlanInputError("--flickr-photo: expected a JSON object")
    if body.get("stat") == "ok" and isinstance(body.get("photo"), Mapping):
        try:
            return parse_photo_info(body["photo"])
        except FlickrResponseError as exc:
            raise PlanInputError(f"--flickr-photo: {exc}") from exc
    if body.get("stat") != "fail":
        raise PlanInputError("--flickr-photo: neither a photo nor a Flickr error body")
    code = _code(body.get("code"))
    message = str(body.get("message", ""))
    gone = gone_from_error(photo_id or "", code, message)
    if gone is None:
        raise PlanInputError(
            f"--flickr-photo: Flickr error {body.get('code')} ({message}) is no answer about the photo"
        )
    if photo_id is None:
        raise PlanInputError(
            "--flickr-photo: the photo is gone; say which photo it was with --photo-id "
            "(the file's evidence does not name exactly one)"
        )
    return gone


def owner_from_body(body: Any, evidence_nsid: str | None) -> FlickrOwner:
    from bot.adapters.flickr import FlickrResponseError, parse_owner

    """A people.getInfo body as the owner: the person, or a deleted account for code 5.

    Flickr's code-5 body does not name the account, so it is the evidence's owner.
    """
    if isinstance(body, Mapping) and body.get("stat") == "fail":
        code = _code(body.get("code"))
        if code == 5:
            return FlickrOwner(nsid=evidence_nsid or "", is_deleted=True)
        raise PlanInputError(
            f"--flickr-owner: Flickr error {body.get('code')} ({body.get('message', '')}) "
            "is no answer about the owner; only code 5 (user deleted) is"
        )
    person = body.get("person") if isinstance(body, Mapping) else None
    if not isinstance(person, Mapping):
        raise PlanInputError("--flickr-owner: expected a people.getInfo response with 'person'")
    try:
        return parse_owner(person)
    except FlickrResponseError as exc:
        raise PlanInputError(f"--flickr-owner: {exc}") from exc


def _code(value: Any) -> int | None:
    """Flickr's error code, which arrives as a number or a string."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def build_plan(
    entity: Mapping[str, Any],
    photo_body: Any,
    *,
    owner_body: Any = None,
    wikidata_body: Any = None,
    photo_id: str | None = None,
    evidence_photo_ids: list[str] | None = None,
) -> Plan:
    """The plan for the decoded inputs (the CLI minus file reading and printing)."""
    from bot.core.claims import licence_info, wanted_statements
    from bot.core.reconcile import plan

    try:
        evidence = None if is_missing(entity) else evidence_from_entity(entity)
    except MalformedEntity as exc:
        raise PlanInputError(f"--entity: {exc}") from exc
    cited = list(evidence.photo_ids) if evidence else []
    if photo_id is None and len(cited) == 1:
        photo_id = cited[0]
    photo = photo_from_body(photo_body, photo_id)
    evidence_nsid = evidence.owner_nsid if evidence is not None else None
    owner = None if owner_body is None else owner_from_body(owner_body, evidence_nsid)
    if (
        isinstance(photo, FlickrPhotoGone)
        and owner is not None
        and evidence_nsid
        and owner.nsid != evidence_nsid
    ):
        raise PlanInputError(
            f"--flickr-owner: the response is about {owner.nsid}, but the file's evidence "
            f"names {evidence_nsid} as the owner"
        )
    # Only people.getInfo can say the owner of a gone photo still exists (see the docstring).
    hint = owner
    if isinstance(photo, FlickrPhoto) and (
        owner is None or owner.is_deleted or owner.nsid != photo.owner.nsid
    ):
        owner = photo.owner
    lookups = wikidata_flickr_ids(wikidata_body) if wikidata_body is not None else {}
    return plan(
        entity,
        wanted_statements(photo, hint),
        evidence_photo_ids=cited if evidence_photo_ids is None else evidence_photo_ids,
        wikidata_flickr_ids=lookups,
        owner=owner,
        licence=licence_info(photo, entity),
    )


def run(args: argparse.Namespace) -> int:
    """Print the plan JSON; unusable input raises ``PlanInputError`` (exit 2, bot.cli)."""
    entity = load_entity(_load(args.entity, "--entity"))
    result = build_plan(
        entity,
        _load(args.flickr_photo, "--flickr-photo"),
        owner_body=_load(args.flickr_owner, "--flickr-owner") if args.flickr_owner else None,
        wikidata_body=_load(args.wikidata, "--wikidata") if args.wikidata else None,
        photo_id=args.photo_id,
        evidence_photo_ids=args.evidence_photo_id,
    )
    sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    return 0
