"""Wikidata property and item ids the bot reads and writes, named once.

Every other module refers to these names, never to bare ``"P170"`` strings, so a
reader can tell what a statement means and a reviewer can check the ids in one place.
"""

from typing import Final

# Properties written by the bot.
P_FLICKR_PHOTO_ID: Final = "P12120"
P_CREATOR: Final = "P170"
P_SOURCE_OF_FILE: Final = "P7482"
P_INCEPTION: Final = "P571"
P_COORDINATES_OF_POV: Final = "P1259"
P_PUBLISHED_IN: Final = "P1433"
P_BHL_PAGE_ID: Final = "P687"

# Qualifiers used on those statements.
P_FLICKR_USER_ID: Final = "P3267"
P_AUTHOR_NAME_STRING: Final = "P2093"
P_URL: Final = "P2699"
P_DESCRIBED_AT_URL: Final = "P973"
P_OPERATOR: Final = "P137"
P_PUBLICATION_DATE: Final = "P577"
P_SOURCING_CIRCUMSTANCES: Final = "P1480"

# Properties only read (licence information in plans).
P_COPYRIGHT_LICENSE: Final = "P275"
P_COPYRIGHT_STATUS: Final = "P6216"

# Qualifiers other editors put on creators, read when deciding whether a creator
# statement is about this Flickr account (``bot.core.reconcile``).
P_WIKIMEDIA_USERNAME: Final = "P4174"
P_OBJECT_HAS_ROLE: Final = "P3831"
P_SERIES_ORDINAL: Final = "P1545"

# Items.
Q_FILE_AVAILABLE_ON_INTERNET: Final = "Q74228490"
Q_FLICKR: Final = "Q103204"
Q_CIRCA: Final = "Q5727902"

# Wikibase constants.
CALENDAR_GREGORIAN: Final = "http://www.wikidata.org/entity/Q1985727"
GLOBE_EARTH: Final = "http://www.wikidata.org/entity/Q2"

# Time precisions (Wikibase).
PRECISION_YEAR: Final = 9
PRECISION_MONTH: Final = 10
PRECISION_DAY: Final = 11

# Flickr accounts with special handling.
BHL_NSID: Final = "61021753@N02"  # Biodiversity Heritage Library

# Properties the bot writes, in the order edits and summaries list them.
WRITTEN_PROPERTIES: Final = (
    P_FLICKR_PHOTO_ID,
    P_CREATOR,
    P_SOURCE_OF_FILE,
    P_INCEPTION,
    P_COORDINATES_OF_POV,
    P_PUBLISHED_IN,
    P_BHL_PAGE_ID,
)

# Wikidata licence items for Flickr's licence ids (flickr.photos.licenses.getInfo), only
# read: plans report a Flickr licence that differs from the file's P275. Sources: the
# Flickypedia and Content Mine id tables (CC URL -> QID) and Commons statements seen in
# the wild. Ids 0 (All Rights Reserved), 7 (No known copyright restrictions) and
# 8 (United States Government Work) are not licences and have no item here.
Q_CC_BY_NC_SA_2_0: Final = "Q28050835"  # Flickr 1
Q_CC_BY_NC_2_0: Final = "Q44128984"  # Flickr 2
Q_CC_BY_NC_ND_2_0: Final = "Q47008927"  # Flickr 3
Q_CC_BY_2_0: Final = "Q19125117"  # Flickr 4
Q_CC_BY_SA_2_0: Final = "Q19068220"  # Flickr 5
Q_CC_BY_ND_2_0: Final = "Q35254645"  # Flickr 6
Q_CC0_1_0: Final = "Q6938433"  # Flickr 9
Q_PUBLIC_DOMAIN_MARK_1_0: Final = "Q7257361"  # Flickr 10
Q_CC_BY_4_0: Final = "Q20007257"  # Flickr 11
Q_CC_BY_SA_4_0: Final = "Q18199165"  # Flickr 12
Q_CC_BY_ND_4_0: Final = "Q36795408"  # Flickr 13
Q_CC_BY_NC_4_0: Final = "Q34179348"  # Flickr 14
Q_CC_BY_NC_SA_4_0: Final = "Q42553662"  # Flickr 15
Q_CC_BY_NC_ND_4_0: Final = "Q24082749"  # Flickr 16
