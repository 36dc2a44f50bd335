"""Every reason code the review queue can carry, with the sentence the review page shows.

One table for the page and the code: the planner's reasons (:data:`REASONS`, of which
:data:`CONFLICT_REASONS` are conflicts for a person) and the job's own (:data:`JOB_REASONS`).
Codes are stable: the store keys the review queue on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Every reason code an Action can carry, with the line the review page shows. Codes are
# stable: the store keys the review queue on them.
REASONS: Final[Mapping[str, str]] = {
    # add / unchanged / add_qualifiers / replace
    "absent": "The file has no statement for this property yet; the bot adds one.",
    "equivalent": "An equivalent statement is already on the file.",
    "same_flickr_user": "A creator statement naming this Flickr account (P3267) is already on the file.",
    "creator_item_matches": "The creator is a Wikidata item whose Flickr user ID (P3267) is this photo's owner.",
    "deprecated_equivalent": "An equivalent statement exists with deprecated rank: it was judged wrong, so the bot does not add it again.",
    "missing_qualifiers": "The statement is there but lacks some of the bot's qualifiers; only those are added.",
    "placeholder_creator": "The creator is only a placeholder name for this Flickr account; it is replaced by the full creator, keeping rank and references.",
    # conflicts
    "photo_id_differs": "The file's Flickr photo ID (P12120, or its evidence) is not the photo the bot looked up.",
    "multiple_photo_ids": "The file carries or cites more than one Flickr photo ID.",
    "blocked_by_photo_id_conflict": "Not written: the file's Flickr photo ID is in doubt, so nothing taken from that photo is written.",
    "creator_differs": "The file names another creator (another Flickr account or another person).",
    "creator_item_differs": "The creator is a Wikidata item whose Flickr user IDs do not include this photo's owner.",
    "creator_item_unverified": "The creator is a Wikidata item that could not be checked against this Flickr account.",
    "source_differs": "The source of file (P7482) is something other than a file available on the internet.",
    "source_url_differs": "The source of file points at another URL than this Flickr photo.",
    "source_operator_differs": "The source of file names another operator than Flickr.",
    "date_differs": "The file's inception is a different date.",
    "date_precision_differs": "The file's inception agrees with Flickr's date but is stated at another precision.",
    "date_circa_differs": "The file's inception has the same date but only one side says it is circa.",
    "date_calendar_differs": "The file's inception uses another calendar model.",
    "coordinates_differ": "The file's point-of-view coordinates are further from Flickr's than their precision allows.",
    "publication_date_differs": "The file says it was published on Flickr on another date.",
    "bhl_page_differs": "The file has another BHL page ID.",
    "existing_not_a_value": "The file says 'unknown value' or 'no value' where the bot has a value.",
    "qualifiers_differ": "The statement has the same value but qualifiers that disagree with the bot's.",
    "value_differs": "The file has a different value.",
    "multiple_candidate_statements": "Several statements could be extended or replaced; which one is meant is for a person to decide.",
}

CONFLICT_REASONS: Final = frozenset(
    {
        "photo_id_differs",
        "multiple_photo_ids",
        "blocked_by_photo_id_conflict",
        "creator_differs",
        "creator_item_differs",
        "creator_item_unverified",
        "source_differs",
        "source_url_differs",
        "source_operator_differs",
        "date_differs",
        "date_precision_differs",
        "date_circa_differs",
        "date_calendar_differs",
        "coordinates_differ",
        "publication_date_differs",
        "bhl_page_differs",
        "existing_not_a_value",
        "qualifiers_differ",
        "value_differs",
        "multiple_candidate_statements",
    }
)


# Conflict reasons the job raises itself (the planning core's are REASONS above).
JOB_REASONS: Final[Mapping[str, str]] = {
    "concurrent_edit": "Someone edited this property while the bot was writing to it; the "
    "bot took its own statement back out. Compare the two and decide.",
    "weak_flickr_evidence": "The only sign of the Flickr photo is a number in the file name; "
    "a person has to confirm it is the source before the bot writes anything.",
    "bhl_page_match": "The file cites only a BHL page id, and exactly one photo of BHL's "
    "Flickr account is tagged with that page: the bot proposes it as the file's Flickr photo "
    "(written only when accepted; the rest of the photo's data follows on the next run).",
    "bhl_page_several": "The file cites only a BHL page id, and several photos of BHL's "
    "Flickr account are tagged with that page (one conflict each): accept the one photo this "
    "file is; the other candidates are then closed.",
    "commons_date_from_exif": "The file's inception equals a date in its EXIF metadata "
    "(the EXIF field is shown), while Flickr's date is earlier or coarser: the Commons date "
    "is probably when the file was made or scanned, not when the photo was taken.",
}


# Conflicts "use Flickr's value" is never given to in bulk or by a rule: a file citing
# several photos has one candidate conflict per photo id, and accepting them all would
# write every id. Each needs a maintainer to pick the one photo (the others are closed).
ONE_BY_ONE_REASONS: Final = ("multiple_photo_ids", "bhl_page_several")
