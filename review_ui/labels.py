"""English labels for the Wikidata ids the bot reads and writes, bundled with the page.

The review page runs offline from Wikidata (no API call per page view, nothing to go
stale mid-triage), so it carries its own small table: every property and item in
``bot.core.ids``, the qualifiers and references that occur next to them on Commons, and the
licence and copyright-status items a plan may mention. An id not in the table is shown
as the bare id, still linked to Wikidata, so nothing is hidden.
"""

from __future__ import annotations

from typing import Final

PROPERTY_LABELS: Final[dict[str, str]] = {
    # written by the bot
    "P12120": "Flickr photo ID",
    "P170": "creator",
    "P7482": "source of file",
    "P571": "inception",
    "P1259": "coordinates of the point of view",
    "P1433": "published in",
    "P687": "BHL page ID",
    # qualifiers on those statements
    "P3267": "Flickr user ID",
    "P2093": "author name string",
    "P2699": "URL",
    "P973": "described at URL",
    "P137": "operator",
    "P577": "publication date",
    "P1480": "sourcing circumstances",
    "P123": "publisher",
    "P4174": "Wikimedia username",
    "P3831": "object has role",
    "P1545": "series ordinal",
    "P304": "page(s)",
    # read for licence information
    "P275": "copyright license",
    "P6216": "copyright status",
    "P459": "determination method",
    "P1001": "applies to jurisdiction",
    # common neighbours on Commons files and in references
    "P180": "depicts",
    "P1163": "media type",
    "P4082": "captured with",
    "P1071": "location of creation",
    "P854": "reference URL",
    "P813": "retrieved",
    "P248": "stated in",
    "P2048": "height",
    "P2049": "width",
    "P3575": "data size",
    "P4092": "checksum",
}

ITEM_LABELS: Final[dict[str, str]] = {
    # source of file, operator
    "Q74228490": "file available on the internet",
    "Q66458942": "original creation by uploader",
    "Q103204": "Flickr",
    # dates
    "Q5727902": "circa",
    "Q1985727": "proleptic Gregorian calendar",
    "Q1985786": "proleptic Julian calendar",
    # globes
    "Q2": "Earth",
    "Q405": "Moon",
    "Q111": "Mars",
    # copyright status
    "Q50423863": "copyrighted",
    "Q19652": "public domain",
    "Q88088423": "copyrighted, dedicated to the public domain by copyright holder",
    "Q60671452": "work of the federal government of the United States",
    "Q61045577": "stated by copyright holder at source website",
    "Q30": "United States of America",
    # licences (the ones Flickr offers and Commons accepts, and their neighbours)
    "Q6938433": "Creative Commons CC0 License",
    "Q7257361": "Public Domain Mark",
    "Q30942811": "Creative Commons Attribution 1.0 Generic",
    "Q19125117": "Creative Commons Attribution 2.0 Generic",
    "Q18810333": "Creative Commons Attribution 2.5 Generic",
    "Q14947546": "Creative Commons Attribution 3.0 Unported",
    "Q20007257": "Creative Commons Attribution 4.0 International",
    "Q19068220": "Creative Commons Attribution-ShareAlike 2.0 Generic",
    "Q19113751": "Creative Commons Attribution-ShareAlike 2.5 Generic",
    "Q14946043": "Creative Commons Attribution-ShareAlike 3.0 Unported",
    "Q18199165": "Creative Commons Attribution-ShareAlike 4.0 International",
    # licences Commons does not accept: a plan may still name them (Flickr's licence)
    "Q44128984": "Creative Commons Attribution-NonCommercial 2.0 Generic",
    "Q28050835": "Creative Commons Attribution-NonCommercial-ShareAlike 2.0 Generic",
    "Q47008927": "Creative Commons Attribution-NonCommercial-NoDerivs 2.0 Generic",
    "Q35254645": "Creative Commons Attribution-NoDerivs 2.0 Generic",
    "Q34179348": "Creative Commons Attribution-NonCommercial 4.0 International",
    "Q42553662": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
    "Q24082749": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International",
    "Q36795408": "Creative Commons Attribution-NoDerivatives 4.0 International",
    # publishers the bot meets
    "Q172266": "Biodiversity Heritage Library",
}


def property_label(pid: str) -> str | None:
    """The English label of a property, or None when the table does not know it."""
    return PROPERTY_LABELS.get(pid)


def item_label(qid: str) -> str | None:
    """The English label of an item, or None when the table does not know it."""
    return ITEM_LABELS.get(qid)
