"""The Flickr URL parser: every real-world form, the two errors, and properties.

The table is one URL per line so a new form found in the snapshot is a one-line
addition. The hypothesis properties check what the table cannot: no input of any
shape raises anything but the two documented errors, the regex fast path agrees
with the general path on everything, and, checked against ada (a WHATWG URL parser, the
rules browsers follow), no photo id comes from a URL a browser would not open on Flickr.
"""

from __future__ import annotations

import importlib.util
import pickle
import re
import string
import time
from pathlib import Path
from types import ModuleType

import can_ada
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.flickr_urls import (
    FlickrUrlError,
    NotAFlickrUrl,
    ParsedFlickrUrl,
    UnrecognisedFlickrUrl,
    _parse_fast,
    _parse_slow,
    base58_decode,
    base58_encode,
    is_nsid,
    parse_flickr_url,
    same_flickr_photo_url,
)


def _load_url_mix() -> ModuleType:
    """benchmarks/ is not a package; load the generator by path."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "url_mix.py"
    spec = importlib.util.spec_from_file_location("url_mix", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


url_mix = _load_url_mix()


# --- expected results, briefly ---------------------------------------------------


def photo(pid: str, user: str | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl(
        "single_photo",
        photo_id=pid,
        user=user,
        user_is_nsid=None if user is None else is_nsid(user),
    )


def user(name: str, page: int | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl("user", user=name, user_is_nsid=is_nsid(name), page=page)


def album(aid: str, owner: str | None = None, page: int | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl(
        "album",
        album_id=aid,
        user=owner,
        user_is_nsid=None if owner is None else is_nsid(owner),
        page=page,
    )


def gallery(gid: str, owner: str, page: int | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl(
        "gallery", gallery_id=gid, user=owner, user_is_nsid=is_nsid(owner), page=page
    )


def group(name: str, page: int | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl("group", group=name, page=page)


def tag(name: str, owner: str | None = None, page: int | None = None) -> ParsedFlickrUrl:
    return ParsedFlickrUrl(
        "tag",
        tag=name,
        user=owner,
        user_is_nsid=None if owner is None else is_nsid(owner),
        page=page,
    )


HOME = ParsedFlickrUrl("homepage")
NOT = NotAFlickrUrl
UNREC = UnrecognisedFlickrUrl

BL = "britishlibrary"
NSID = "35591378@N03"
PID = "11307006026"

CASES: list[tuple[str, ParsedFlickrUrl | type[FlickrUrlError]]] = [
    # Photo pages: schemes, hosts, slashes.
    (f"https://www.flickr.com/photos/{BL}/{PID}", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"http://www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"flickr.com/photos/{BL}/{PID}", photo(PID, BL)),
    (f"https://flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"//www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{NSID}/{PID}/", photo(PID, NSID)),
    (f"http://flickr.com/photos/{NSID}/{PID}", photo(PID, NSID)),
    ("https://www.flickr.com/photos/joyoflife//44627174", photo("44627174", "joyoflife")),
    ("flickr.com/photos/joyoflife//44627174/", photo("44627174", "joyoflife")),
    (f"https://www.flickr.com//photos//{BL}//{PID}//", photo(PID, BL)),
    (f"https://secure.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"https://m.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"http://m.flickr.com/#/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"https://m.flickr.com/#/photos/{NSID}/{PID}", photo(PID, NSID)),
    (f"https://www.flickr.com/#/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"HTTPS://WWW.FLICKR.COM/PHOTOS/{BL}/{PID}/", photo(PID, BL)),
    (f"Https://Www.Flickr.Com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"  https://www.flickr.com/photos/{BL}/{PID}/  ", photo(PID, BL)),
    (f"\thttps://www.flickr.com/photos/{BL}/{PID}/\r\n", photo(PID, BL)),
    (f"https://www.flickr.com./photos/{BL}/{PID}/", photo(PID, BL)),
    (f"https://www.flickr.com:443/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"http:/www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"https:///www.flickr.com/photos/{BL}/{PID}/", photo(PID, BL)),
    (f"www.flickr.com:80/photos/{BL}/{PID}/", photo(PID, BL)),
    # Photo pages: every suffix.
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/photostream/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/photostream", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/album-72157638567645373/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/set-72157638567645373", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/pool-coast_guard", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/pool-1234567@N20/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/dateposted/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/dateposted-public/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/faves-{NSID}/", photo(PID, BL)),
    (
        f"https://www.flickr.com/photos/{BL}/{PID}/in/gallery-{BL}-72157622765867374/",
        photo(PID, BL),
    ),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/explore-2013-12-13/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/photostream/lightbox/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/sizes/o/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/sizes/l/in/photostream/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/sizes/o/in/set-72157638567645373/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/lightbox/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/meta/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/play/720p/abcdef1234/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/IN/PHOTOSTREAM/", photo(PID, BL)),
    # Query strings and fragments are ignored.
    (f"https://www.flickr.com/photos/{BL}/{PID}/?rb=1", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}?utm_source=x&utm_medium=y", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/#comment72157638567645373", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/{PID}/in/photostream/?x=%ZZ#%E2", photo(PID, BL)),
    # Encoded bits and id normalisation.
    ("https://www.flickr.com/photos/35591378%40N03/11307006026/", photo(PID, NSID)),
    ("https://www.flickr.com/photos/35591378%40n03/11307006026/", photo(PID, NSID)),  # "@n"
    ("https://www.flickr.com/photos/coast%5Fguard/11307006026/", photo(PID, "coast_guard")),
    (f"https://www.flickr.com/photos/{BL}/00011307006026/", photo(PID, BL)),
    (f"https://www.flickr.com/photos/{BL}/0/", UNREC),
    (f"https://www.flickr.com/photos/{BL}/0000/", UNREC),
    (f"https://www.flickr.com/photos/{BL}/12345678901234567890/", UNREC),  # > 19 digits
    (f"https://www.flickr.com/photos/{BL}/1234567890123456789/", photo("1234567890123456789", BL)),
    (f"https://www.flickr.com/photos/{BL}/١٢٣/", UNREC),  # Arabic-Indic digits
    ("https://www.flickr.com/photos/coast_guard/5432109876/", photo("5432109876", "coast_guard")),
    ("https://www.flickr.com/photos/usnavy-pics/5432109876/", photo("5432109876", "usnavy-pics")),
    ("https://www.flickr.com/photos/12345/5432109876/", photo("5432109876", "12345")),
    # Static image URLs on every host.
    ("https://live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg", photo("37767087695")),
    ("https://live.staticflickr.com/65535/53208249252_4a4f1c2b3d_b.jpg", photo("53208249252")),
    (
        "https://live.staticflickr.com/65535/53208249252_4a4f1c2b3d_k.jpg?s=abc",
        photo("53208249252"),
    ),
    ("https://live.staticflickr.com/65535/53208249252_4a4f1c2b3d_3k.jpg", photo("53208249252")),
    ("https://live.staticflickr.com/65535/53208249252_4a4f1c2b3d_o_d.jpg", photo("53208249252")),
    ("https://farm5.staticflickr.com/4586/37767087695_bb4ecff5f4_z.jpg", photo("37767087695")),
    ("https://farm66.staticflickr.com/65535/37767087695_bb4ecff5f4.jpg", photo("37767087695")),
    ("http://farm1.static.flickr.com/123/4567890_abcdef1234.jpg", photo("4567890")),
    ("http://farm3.static.flickr.com/2345/3456789012_abcdef1234_m.jpg", photo("3456789012")),
    ("http://static.flickr.com/12/34567890_abcdef1234.jpg", photo("34567890")),
    ("https://c1.staticflickr.com/5/4586/37767087695_bb4ecff5f4_b.jpg", photo("37767087695")),
    ("https://c2.staticflickr.com/2/1234/5678901234_abcdef1234_h.jpg", photo("5678901234")),
    ("http://photos23.flickr.com/32156789_a1b2c3d4e5.jpg", photo("32156789")),
    ("http://photos1.flickr.com/1234567_a1b2c3d4e5_o.jpg", photo("1234567")),
    ("https://live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.png", photo("37767087695")),
    ("https://live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.gif", photo("37767087695")),
    ("https://live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.JPG", photo("37767087695")),
    ("https://live.staticflickr.com/4586/37767087695_bb4ecff5f4.jpeg", photo("37767087695")),
    ("HTTPS://LIVE.STATICFLICKR.COM/4586/37767087695_bb4ecff5f4_o.jpg", photo("37767087695")),
    ("live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg", photo("37767087695")),
    (
        "https://live.staticflickr.com/video/52345678901/abcdef1234/1080p.mp4?s=x",
        photo("52345678901"),
    ),
    ("https://live.staticflickr.com/4586/52345678901_abcdef1234_720p.mp4", photo("52345678901")),
    ("https://live.staticflickr.com/4586/", UNREC),
    ("https://live.staticflickr.com/4586/37767087695.jpg", UNREC),  # no secret
    ("https://live.staticflickr.com/4586/abc_bb4ecff5f4_o.jpg", UNREC),
    ("https://live.staticflickr.com/a/b/c/37767087695_bb4ecff5f4.jpg", UNREC),
    ("https://combo.staticflickr.com/pw/combo/1/2.css", UNREC),
    ("https://live.staticflickr.com/", UNREC),
    # Legacy .gne pages.
    ("http://www.flickr.com/photo.gne?id=123456789", photo("123456789")),
    ("http://flickr.com/photo.gne?id=0123456789", photo("123456789")),
    ("https://www.flickr.com/photo_edit.gne?id=123456789", photo("123456789")),
    ("http://www.flickr.com/photo_zoom.gne?id=123456789&size=o", photo("123456789")),
    ("http://www.flickr.com/photo_zoom.gne?size=o&id=123456789", photo("123456789")),
    ("https://www.flickr.com/photo.gne?short=2p4QbKN", photo("53208249252")),
    ("https://www.flickr.com/photo.gne?rb=1&short=2p4QbKN", photo("53208249252")),
    ("http://www.flickr.com/photo.gne?ID=123456789", photo("123456789")),
    ("http://www.flickr.com/photo.gne", UNREC),
    ("http://www.flickr.com/photo.gne?id=", UNREC),
    ("http://www.flickr.com/photo.gne?id=abc", UNREC),
    ("http://www.flickr.com/photo.gne?id=0", UNREC),
    ("http://www.flickr.com/photo.gne?short=0OIl", UNREC),  # not base58
    ("http://www.flickr.com/photos/photo.gne?id=123", UNREC),
    # flic.kr short links.
    ("https://flic.kr/p/2p4QbKN", photo("53208249252")),
    ("http://flic.kr/p/2p4QbKN/", photo("53208249252")),
    ("flic.kr/p/2p4QbKN", photo("53208249252")),
    ("https://www.flic.kr/p/2p4QbKN", photo("53208249252")),
    ("https://FLIC.KR/P/2p4QbKN", photo("53208249252")),
    ("https://flic.kr/p/1112p4QbKN", photo("53208249252")),  # leading zero digits
    ("https://flic.kr/p/2p4QbKN?foo=bar#x", photo("53208249252")),
    ("https://flic.kr/p/fd3KbK", photo(str(base58_decode("fd3KbK")))),
    ("https://flic.kr/s/aHsjHSaQ9E", album("72157635310435422")),
    ("https://flic.kr/ps/2xYzAb", UNREC),  # photostream: whose is unknown
    ("https://flic.kr/p/", UNREC),
    ("https://flic.kr/p/111", UNREC),  # zero
    ("https://flic.kr/p/2p4Q0bKN", UNREC),  # "0" is not a base58 digit
    ("https://flic.kr/p/zzzzzzzzzzzz", UNREC),  # beyond 19 digits
    ("https://flic.kr/", UNREC),
    ("https://flic.kr/x/2p4QbKN", UNREC),
    ("https://flic.kr/p/2p4QbKN/extra", UNREC),
    # Users: photostreams and profiles.
    (f"https://www.flickr.com/photos/{BL}/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}", user(BL)),
    (f"http://flickr.com/photos/{NSID}/", user(NSID)),
    (f"https://www.flickr.com/photos/{BL}/?details=1", user(BL)),
    (f"https://www.flickr.com/people/{BL}/", user(BL)),
    (f"https://www.flickr.com/people/{NSID}", user(NSID)),
    (f"https://www.flickr.com/people/{NSID}/contacts/", user(NSID)),
    ("https://www.flickr.com/people/35591378%40N03/", user(NSID)),
    (f"https://www.flickr.com/photos/{BL}/page3", user(BL, page=3)),
    (f"https://www.flickr.com/photos/{BL}/page3/", user(BL, page=3)),
    (f"https://www.flickr.com/photos/{BL}/page03/", user(BL, page=3)),
    (f"https://www.flickr.com/photos/{BL}/page0/", UNREC),
    (f"https://www.flickr.com/photos/{BL}/albums", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/albums/page2", user(BL, page=2)),
    (f"https://www.flickr.com/photos/{BL}/sets/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/albums/with/{PID}", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/favorites", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/favorites/page4/", user(BL, page=4)),
    (f"https://www.flickr.com/photos/{BL}/galleries/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/tags/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/archives/date-taken/2008/01/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/map/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/collections/72157638567645373/", user(BL)),
    (f"https://www.flickr.com/photos/{BL}/with/{PID}/", user(BL)),
    # Albums and sets.
    (
        f"https://www.flickr.com/photos/{BL}/albums/72157638567645373",
        album("72157638567645373", BL),
    ),
    (f"https://www.flickr.com/photos/{BL}/sets/72157638567645373/", album("72157638567645373", BL)),
    (f"http://flickr.com/photos/{NSID}/sets/72157638567645373", album("72157638567645373", NSID)),
    (
        f"https://www.flickr.com/photos/{BL}/albums/72157638567645373/page2",
        album("72157638567645373", BL, page=2),
    ),
    (
        f"https://www.flickr.com/photos/{BL}/sets/72157638567645373/with/{PID}/",
        album("72157638567645373", BL),
    ),
    (
        f"https://www.flickr.com/photos/{BL}/sets/72157638567645373/show/",
        album("72157638567645373", BL),
    ),
    (f"https://www.flickr.com/photos/{BL}/albums/notanid", UNREC),
    (f"https://www.flickr.com/photos/{BL}/albums/0", UNREC),
    # Galleries.
    (
        f"https://www.flickr.com/photos/{BL}/galleries/72157622765867374/",
        gallery("72157622765867374", BL),
    ),
    (
        f"https://www.flickr.com/photos/{BL}/galleries/72157622765867374/page3",
        gallery("72157622765867374", BL, page=3),
    ),
    (f"https://www.flickr.com/photos/{BL}/galleries/abc/", UNREC),
    # Groups and pools.
    ("https://www.flickr.com/groups/coast_guard/", group("coast_guard")),
    ("https://www.flickr.com/groups/coast_guard", group("coast_guard")),
    ("https://www.flickr.com/groups/coast_guard/pool/", group("coast_guard")),
    ("https://www.flickr.com/groups/coast_guard/pool/page2", group("coast_guard", page=2)),
    ("https://www.flickr.com/groups/coast_guard/page5/", group("coast_guard", page=5)),
    ("https://www.flickr.com/groups/1234567@N20/pool/", group("1234567@N20")),
    ("https://www.flickr.com/groups/coast_guard/discuss/72157600000000000/", group("coast_guard")),
    ("https://www.flickr.com/groups/", UNREC),
    ("https://www.flickr.com/groups/not a group/", UNREC),
    # Tags.
    ("https://www.flickr.com/photos/tags/sunset/", tag("sunset")),
    ("https://www.flickr.com/photos/tags/sunset", tag("sunset")),
    ("https://www.flickr.com/photos/tags/sunset/page2", tag("sunset", page=2)),
    ("https://www.flickr.com/photos/tags/2008/", tag("2008")),  # not a photo of user "tags"
    ("https://www.flickr.com/photos/TAGS/2008/", tag("2008")),
    ("https://www.flickr.com/photos/tags/new%20york/", tag("new york")),
    ("https://www.flickr.com/photos/tags/caf%C3%A9/", tag("café")),
    ("https://www.flickr.com/photos/tags/caf%E9/", UNREC),  # not UTF-8
    ("https://www.flickr.com/photos/tags/", UNREC),
    ("https://www.flickr.com/photos/tags", UNREC),
    (f"https://www.flickr.com/photos/{BL}/tags/map/", tag("map", BL)),
    (f"https://www.flickr.com/photos/{NSID}/tags/map/page2", tag("map", NSID, page=2)),
    # The homepage.
    ("flickr.com", HOME),
    ("www.flickr.com/", HOME),
    ("https://www.flickr.com", HOME),
    ("https://www.flickr.com/?ytcheck=1", HOME),
    ("https://WWW.FLICKR.COM/", HOME),
    ("https://m.flickr.com/#", HOME),
    ("https://m.flickr.com/#/", HOME),
    ("https://www.flickr.com/#top", HOME),
    # Flickr, but nothing this module classifies.
    ("https://www.flickr.com/help/", UNREC),
    ("https://www.flickr.com/help/forum/en-us/", UNREC),
    ("https://www.flickr.com/explore", UNREC),
    ("https://www.flickr.com/search/?text=sunset", UNREC),
    ("flickr.com/photos/", UNREC),
    ("flickr.com/photos", UNREC),
    ("flickr.com/photos/user/notanumber", UNREC),
    (f"https://www.flickr.com/photos/{BL}/{PID}abc/", UNREC),
    ("https://www.flickr.com/photos/foo@bar/123/", UNREC),  # neither alias nor NSID
    ("https://www.flickr.com/photos/foo.bar/123/", UNREC),
    ("https://www.flickr.com/photos/%FF/123/", UNREC),
    ("https://www.flickr.com/people/", UNREC),
    ("https://m.flickr.com/#/photo.gne?id=123", UNREC),
    ("https://help.flickr.com/", UNREC),
    ("https://blog.flickr.net/en/2020/01/01/post/", UNREC),
    ("https://api.flickr.com/services/rest/?method=flickr.photos.getInfo", UNREC),
    ("https://identity.flickr.com/login", UNREC),
    ("https://staticflickr.com/", UNREC),
    # Early Flickr's singular /photo/ path.
    ("http://flickr.com/photo/17277074@N00/2619974961", photo("2619974961", "17277074@N00")),
    ("http://www.flickr.com/photo/art-sarah/2619974961/", photo("2619974961", "art-sarah")),
    ("http://www.flickr.com/photo/art-sarah/", user("art-sarah")),
    # NSIDs written with "@n": Flickr serves them; the NSID is given in its canonical case.
    (
        "https://www.flickr.com/photos/11588490@n02/2174280796/sizes/l",
        photo("2174280796", "11588490@N02"),
    ),
    ("https://www.flickr.com/photos/11588490@n02/2174280796/", photo("2174280796", "11588490@N02")),
    (
        "http://flickr.com/photos/11588490@n02/2174280796/sizes/o/in/photostream/",
        photo("2174280796", "11588490@N02"),
    ),
    ("https://www.flickr.com/photos/11588490@n02/", user("11588490@N02")),
    ("https://www.flickr.com/people/11588490@n02/", user("11588490@N02")),
    (
        "https://www.flickr.com/photos/11588490@n02/sets/72157603456789012/",
        album("72157603456789012", "11588490@N02"),
    ),
    ("https://www.flickr.com/groups/1234567@n20/pool/", group("1234567@N20")),
    ("https://www.flickr.com/photos/11588490@n2/2174280796/", UNREC),  # one digit: no NSID
    # .gne pages that name a photo: any photo_* or video_* page with id=.
    ("https://www.flickr.com/photo_exif.gne?id=1427904898", photo("1427904898")),
    ("http://www.flickr.com/photo_exif.gne?id=2147483647", photo("2147483647")),
    ("https://www.flickr.com/video_download.gne?id=52947513801", photo("52947513801")),
    ("http://www.flickr.com/photo_sizes.gne?id=196155401&size=o", photo("196155401")),
    (
        "http://www.flickr.com/photo_download.gne?id=3420962085&secret=abcdef1234&size=o",
        photo("3420962085"),
    ),
    ("http://www.flickr.com/photo_zoom.gne?size=o&amp;id=196155401", photo("196155401")),
    ("http://www.flickr.com/photo_zoom.gne?size=o&amp;amp;id=196155401", photo("196155401")),
    ("http://www.flickr.com/photo.gne?id=%31%30%35", photo("105")),
    ("www.flickr.com/photo.gne?id=105", photo("105")),
    ("https://www.flickr.com/photo_zoom.gne?id=unknown", UNREC),
    ("https://www.flickr.com/photo_exif.gne", UNREC),
    ("https://m.flickr.com/photostream.gne?id=184833571", UNREC),  # a user's internal id
    ("https://www.flickr.com/photos_user.gne?nsid=12345678@N00", UNREC),
    # The Flash players, whose query names the photo; the slideshow names an album.
    (
        "https://www.flickr.com/apps/video/stewart.swf?v=2968162862&photo_id=53262935176&photo_secret=06c382eee3",
        photo("53262935176"),
    ),
    (
        "http://www.flickr.com/apps/video/stewart.swf?v=71377&amp;photo_id=4445665165",
        photo("4445665165"),
    ),
    (
        "http://www.flickr.com/apps/video/stewart.swf?v=109786&intl_lang=en-us&photo_secret=9da70ced92&photo_id=4281814684",
        photo("4281814684"),
    ),
    ("https://www.flickr.com/apps/video/stewart.swf?v=71377", UNREC),
    ("https://www.flickr.com/apps/video/stewart.swf?photo_id=-1", UNREC),
    (
        "http://www.flickr.com/apps/slideshow/show.swf?v=71649&set_id=72157594165524049",
        album("72157594165524049"),
    ),
    (
        "http://www.flickr.com/slideShow/index.gne?set_id=72157594165524049",
        album("72157594165524049"),
    ),
    ("http://www.flickr.com/slideShow/index.gne?user_id=12345678@N00", UNREC),
    (
        "http://www.flickr.com/slideShow/index.gne?group_id=&user_id=12345678@N00&set_id=72157594165524049&text=",
        album("72157594165524049", "12345678@N00"),
    ),
    (
        "http://www.flickr.com/slideShow/index.gne?user_id=&set_id=72157594165524049",
        album("72157594165524049"),
    ),
    # Galleries under the singular /gallery/ path, and their pages.
    (
        "https://www.flickr.com/photos/flickr/gallery/72157722096057728/",
        gallery("72157722096057728", "flickr"),
    ),
    (
        "https://www.flickr.com/photos/flickr/gallery/72157722096057728/page2",
        gallery("72157722096057728", "flickr", page=2),
    ),
    (
        "https://www.flickr.com/photos/flickr/gallery/72157722096057728",
        gallery("72157722096057728", "flickr"),
    ),
    ("https://www.flickr.com/photos/flickr/gallery/", user("flickr")),
    ("https://www.flickr.com/photos/flickr/gallery/notanid/", UNREC),
    ("https://flic.kr/y/2Xry4Jt", UNREC),  # a gallery short link: its code is not the id
    # Flickr Commons: member pages name an account; other pages are Flickr's.
    ("https://commons.flickr.org/members/swedish_heritage_board/", user("swedish_heritage_board")),
    ("https://commons.flickr.org/members/107895189@N03/", user("107895189@N03")),
    ("https://commons.flickr.org/members/107895189@n03", user("107895189@N03")),
    ("commons.flickr.org/members/cadl_localhistory/", user("cadl_localhistory")),
    ("https://commons.flickr.org/", UNREC),
    ("https://commons.flickr.org/about/", UNREC),
    ("https://commons.flickr.org/members/", UNREC),
    ("https://www.flickr.org/programs/flickr-commons/", UNREC),
    ("https://flickr.org/", UNREC),
    ("https://www.flickr.com/commons", UNREC),
    ("https://www.flickr.com/commons/institutions/", UNREC),
    # Map pages centred on a photo.
    (
        "https://www.flickr.com/map/?fLat=48.8584&fLon=2.2945&zl=13&photo=2174280796",
        photo("2174280796"),
    ),
    ("https://www.flickr.com/photos/britishlibrary/map?photo=11307006026", photo(PID, BL)),
    ("https://www.flickr.com/map/?fLat=48.8584&fLon=2.2945&zl=13", UNREC),
    # Flickr's exit page: where it leads decides.
    (
        "https://www.flickr.com/redirect?url=https%3A%2F%2Fwww.flickr.com%2Fphotos%2Fbritishlibrary%2F11307006026%2F",
        photo(PID, BL),
    ),
    ("https://www.flickr.com/redirect?url=https://flic.kr/p/2p4QbKN", photo("53208249252")),
    ("https://www.flickr.com/redirect?url=https%3A%2F%2Fwww.instagram.com%2Fsomeone", UNREC),
    (
        "https://www.flickr.com/redirect?url=https://www.flickr.com/redirect?url=https://flic.kr/p/2p4QbKN",
        UNREC,
    ),
    ("https://www.flickr.com/redirect", UNREC),
    # Other Flickr pages that name nothing this module returns.
    ("https://www.flickr.com/gp/realphotomatt/M195SLkj98", UNREC),  # guest pass: Flickr decides
    ("https://www.flickr.com/search/?text=sunset&view_all=1", UNREC),
    ("https://www.flickr.com/account/email", UNREC),
    ("https://www.flickr.com/groups/slovenia/discuss/", group("slovenia")),
    ("https://embedr.flickr.com/assets/client-code.js", UNREC),
    ("https://combo.staticflickr.com/ap/build/images/default_avatar.png", UNREC),
    # Static and video files, more hosts and suffixes.
    ("c8.staticflickr.com/6/5159/14288803431_7cf094b085_b.jpg", photo("14288803431")),
    ("static.flickr.com/63/155697786_0125559b4e.jpg", photo("155697786")),
    ("https://farm9.staticflickr.com/8050/8386364815_1b67937c49_o_d.jpg", photo("8386364815")),
    ("https://live.staticflickr.com/video/52868534222/346a41e5a9/1080p.mp4", photo("52868534222")),
    ("https://live.staticflickr.com/7372/help.jpg", UNREC),
    ("photos12.flickr.com/robots.txt", UNREC),
    # Browser rules: "\" is "/" in http(s), so what precedes it is the host.
    ("https://evil.org\\@flickr.com/photos/x/123", NOT),
    ("http://evil.org\\@flickr.com/photos/x/123", NOT),
    ("https://evil.org\\\\@flickr.com/photos/x/123", NOT),
    ("https://evil.org\t\\@flickr.com/photos/x/123", NOT),
    ("https://evil.org\\:443@flickr.com/photos/x/123", NOT),
    ("https:\\\\evil.org\\@flickr.com/photos/x/123", NOT),
    ("https:/\\evil.org\\@flickr.com/photos/x/123", NOT),
    ("evil.org\\@flickr.com/photos/x/123", NOT),
    ("//evil.org\\@flickr.com/photos/x/123", NOT),
    ("\\\\evil.org\\@flickr.com/photos/x/123", NOT),
    ("https://evil.org\\@flic.kr/p/2p4QbKN", NOT),
    ("https://evil.org\\@live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg", NOT),
    ("https://evil.org\\@www.flickr.com/photo.gne?id=123456789", NOT),
    ("https://evil.org?@flickr.com/photos/x/123", NOT),
    ("https://evil.org#@flickr.com/photos/x/123", NOT),
    ("https://flickr.com\\@evil.org/photos/x/123", UNREC),  # host flickr.com, path /@evil.org/...
    ("https://www.flickr.com\\photos\\britishlibrary\\11307006026", photo(PID, BL)),
    ("https:\\\\www.flickr.com\\photos\\britishlibrary\\11307006026\\", photo(PID, BL)),
    ("https:www.flickr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    # Browser rules: userinfo runs to the last "@" before the path.
    ("https://evil.org%5C@flickr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://a@b@www.flickr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://www.flickr.com%2F@evil.org/photos/britishlibrary/11307006026/", NOT),
    ("https://www.flickr.com:443@evil.org/photos/britishlibrary/11307006026/", NOT),
    # Browser rules: tabs and newlines vanish, C0 controls at the ends are stripped.
    ("https://www.flic\tkr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://www.flickr.com/photos/britishlibrary/113070\n06026/", photo(PID, BL)),
    ("https://evil\n.org\\@www.flickr.com/photos/britishlibrary/11307006026/", NOT),
    ("\x01https://www.flickr.com/photos/britishlibrary/11307006026/\x1f", photo(PID, BL)),
    # Browser rules: the host is percent-decoded and mapped (IDNA) before it is compared.
    ("https://www.fl%69ckr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://www.flickr.com%2Eevil.org/photos/britishlibrary/11307006026/", NOT),
    ("https://www.flickr.com%2Fphotos/britishlibrary/11307006026/", NOT),
    ("https://www.flickr%FF.com/photos/britishlibrary/11307006026/", NOT),
    ("https://flickr\u3002com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://\ufb02ickr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),  # "ﬂ" ligature
    (
        "https://www.flick\u00adr.com/photos/britishlibrary/11307006026/",
        photo(PID, BL),
    ),  # soft hyphen
    (
        "https://www.flickr.com\uff20evil.org/photos/britishlibrary/11307006026/",
        NOT,
    ),  # full-width @
    ("https://www.flickr.com\uff0fphotos/britishlibrary/11307006026/", NOT),  # full-width /
    ("https://www.fli\u0107kr.com/photos/britishlibrary/11307006026/", NOT),  # "ć"
    ("https://www.flickr.com../photos/britishlibrary/11307006026/", NOT),
    ("https://www.flickr.com:65536/photos/britishlibrary/11307006026/", NOT),
    ("https://\u00a1www.flickr.com/photos/britishlibrary/11307006026/", UNREC),  # xn--www-1da
    ("https://xn--www-1da.flickr.com/photos/britishlibrary/11307006026/", UNREC),
    ("https://xn--zz.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg", UNREC),
    ("https://www.flickr.com:00443/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://www.flickr.com:/photos/britishlibrary/11307006026/", photo(PID, BL)),
    # Browser rules: "." and ".." path segments are resolved (also as %2e).
    ("https://www.flickr.com/help/../photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://www.flickr.com/photos/britishlibrary/./11307006026/", photo(PID, BL)),
    ("https://www.flickr.com/photos/britishlibrary/11307006026/../../", UNREC),
    ("https://www.flickr.com/photos/britishlibrary/11307006026/%2e%2E/", user(BL)),
    ("https://www.flickr.com/photos/britishlibrary/11307006026\\..", user(BL)),
    # Browser rules: a Flickr URL in another site's path, query or fragment is that site.
    (
        "https://example.org/redirect?url=https://www.flickr.com/photos/britishlibrary/11307006026/",
        NOT,
    ),
    (
        "https://web.archive.org/web/2015/https://www.flickr.com/photos/britishlibrary/11307006026/",
        NOT,
    ),
    ("https://example.org/#https://www.flickr.com/photos/britishlibrary/11307006026/", NOT),
    ("https://xflickr.com/photos/britishlibrary/11307006026/", NOT),
    ("https://flickr.com.example.org/photos/britishlibrary/11307006026/", NOT),
    ("https://flickr.org.example.org/", NOT),
    ("https://live.staticflickr.com.example.org/4586/37767087695_bb4ecff5f4_o.jpg", NOT),
    ("https://0x7f.1/photos/britishlibrary/11307006026/", NOT),
    ("https://1.2.3.4/photos/britishlibrary/11307006026/", NOT),
    # Not Flickr: other sites, look-alikes, schemes, junk.
    ("https://flickr.com.evil.example/photos/britishlibrary/11307006026/", NOT),
    ("flickr.com.evil.example", NOT),
    ("https://notflickr.com/photos/britishlibrary/11307006026/", NOT),
    ("https://flickr.co/photos/britishlibrary/11307006026/", NOT),
    ("https://flickr.community/photos/britishlibrary/11307006026/", NOT),
    ("https://staticflickr.com.example.org/4586/37767087695_bb4ecff5f4_o.jpg", NOT),
    ("https://flic.kr.example/p/2p4QbKN", NOT),
    ("https://www.flickr.com@evil.example/photos/britishlibrary/11307006026/", NOT),
    ("https://user:pw@www.flickr.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    # Browsers map full-width letters and the Kelvin sign to ASCII (IDNA): this is Flickr.
    ("https://ｆｌｉｃｋｒ.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://flic\u212ar.com/photos/britishlibrary/11307006026/", photo(PID, BL)),
    ("https://xn--flickr-9za.com/", NOT),
    ("https://commons.wikimedia.org/wiki/File:Example.jpg", NOT),
    ("https://www.example.org/flickr.com/photos/britishlibrary/11307006026/", NOT),
    ("https://example.org/?u=https://www.flickr.com/photos/a/123", NOT),
    ("ftp://flickr.com/photos/britishlibrary/11307006026/", NOT),
    ("mailto:someone@flickr.com", NOT),
    ("javascript:alert('flickr.com')", NOT),
    ("data:text/html,flickr.com", NOT),
    ("/photos/britishlibrary/11307006026/", NOT),  # relative: no host
    ("https://", NOT),
    ("https:", NOT),
    ("https://:443/photos/a/1", NOT),
    ("https://flickr.com:notaport/photos/a/1", NOT),
    ("https://[::1]/photos/a/1", NOT),
    ("https://[flickr.com/photos/a/1", NOT),
    ("[https://www.flickr.com/photos/britishlibrary/11307006026/ Flickr]", NOT),
    ("Own work", NOT),
    ("flickr", NOT),
    ("", NOT),
    ("   ", NOT),
    ("\n", NOT),
    ("\x00", NOT),
    ("https://flickr.com\x00.evil.example/", NOT),
    ("\ud800", NOT),
    ("https://www.flickr.com/photos/\ud800/123", UNREC),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[repr(u)[:90] for u, _ in CASES])
def test_table(url: str, expected: ParsedFlickrUrl | type[FlickrUrlError]) -> None:
    for parse in (parse_flickr_url, _parse_slow):
        if isinstance(expected, ParsedFlickrUrl):
            assert parse(url) == expected
        else:
            with pytest.raises(expected) as info:
                parse(url)
            assert info.value.url == url


def test_table_covers_both_paths() -> None:
    """The table is only a test of the fast path if the fast path answers many of its lines."""
    answered = sum(_parse_fast(url.strip()) is not None for url, _ in CASES)
    assert answered >= 50


# --- the result and the errors -----------------------------------------------------


def test_to_json_has_every_field() -> None:
    assert photo(PID, NSID).to_json() == {
        "type": "single_photo",
        "photo_id": PID,
        "user": NSID,
        "user_is_nsid": True,
        "album_id": None,
        "gallery_id": None,
        "group": None,
        "tag": None,
        "page": None,
    }


def test_errors_are_value_errors_with_the_input() -> None:
    with pytest.raises(ValueError, match="not Flickr") as info:
        parse_flickr_url("https://example.org/")
    assert isinstance(info.value, FlickrUrlError)
    assert info.value.url == "https://example.org/"


def test_error_message_is_short_for_huge_input() -> None:
    text = "https://example.org/" + "x" * 1_000_000
    with pytest.raises(NotAFlickrUrl) as info:
        parse_flickr_url(text)
    assert len(str(info.value)) < 300
    assert info.value.url is text


@pytest.mark.parametrize("exc_type", [NotAFlickrUrl, UnrecognisedFlickrUrl])
def test_errors_pickle(exc_type: type[FlickrUrlError]) -> None:
    """Workers in a process pool send errors back pickled."""
    exc = exc_type("https://flic.kr/ps/x", "some reason")
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is exc_type
    assert (copy.url, copy.reason, str(copy)) == (exc.url, exc.reason, str(exc))


def test_results_are_frozen_and_hashable() -> None:
    result = parse_flickr_url(f"https://www.flickr.com/photos/{BL}/{PID}/")
    with pytest.raises(AttributeError):
        result.photo_id = "1"  # type: ignore[misc]
    assert len({result, photo(PID, BL)}) == 1


# --- helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("35591378@N03", True),
        ("7488924@N08", True),
        ("35591378@N3", False),
        ("35591378@n03", False),
        ("@N03", False),
        ("britishlibrary", False),
        ("35591378@N03x", False),
        ("٣٥@N03", False),
        ("", False),
    ],
)
def test_is_nsid(candidate: str, expected: bool) -> None:
    assert is_nsid(candidate) is expected


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("2p4QbKN", 53208249252),
        ("aHsjHSaQ9E", 72157635310435422),
        ("1", 0),
        ("2", 1),
        ("Z", 57),
        ("21", 58),
    ],
)
def test_base58_known_values(code: str, number: int) -> None:
    assert base58_decode(code) == number
    assert base58_encode(number) == code


def test_base58_matches_an_independent_encoder() -> None:
    """url_mix has its own encoder; the two must agree."""
    for n in (1, 57, 58, 3364, 11307006026, 37767087695, 53208249252, 10**19 - 1):
        assert base58_encode(n) == url_mix._b58(n)


@pytest.mark.parametrize("bad", ["", "0", "O", "I", "l", "2p4Q bKN", "+"])
def test_base58_decode_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        base58_decode(bad)


def test_base58_encode_rejects_negative() -> None:
    with pytest.raises(ValueError):
        base58_encode(-1)


@given(st.integers(min_value=0, max_value=2**80))
def test_base58_round_trip_numbers(n: int) -> None:
    assert base58_decode(base58_encode(n)) == n


@given(st.text(alphabet="123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1))
def test_base58_round_trip_codes(code: str) -> None:
    assert base58_encode(base58_decode(code)) == (code.lstrip("1") or "1")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            f"https://www.flickr.com/photos/{BL}/{PID}/",
            f"http://flickr.com/photos/{NSID}/{PID}",
            True,
        ),
        (
            f"https://www.flickr.com/photos/{BL}/{PID}",
            f"www.flickr.com/photos/{BL}/{PID}/in/photostream/",
            True,
        ),
        (
            f"https://www.flickr.com/photos/{BL}/{PID}/",
            f"https://live.staticflickr.com/1/{PID}_abc_o.jpg",
            True,
        ),
        ("https://flic.kr/p/2p4QbKN", "https://www.flickr.com/photos/x/53208249252/sizes/o/", True),
        (
            f"https://www.flickr.com/photos/{BL}/{PID}/",
            f"https://www.flickr.com/photos/{BL}/{PID}1/",
            False,
        ),
        (f"https://www.flickr.com/photos/{BL}/", f"https://www.flickr.com/photos/{BL}/", False),
        ("https://example.org/1", "https://example.org/1", False),
        ("", "", False),
    ],
)
def test_same_flickr_photo_url(a: str, b: str, same: bool) -> None:
    assert same_flickr_photo_url(a, b) is same
    assert same_flickr_photo_url(b, a) is same


# --- hostile input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "https://www.flickr.com/photos/" + "a" * 1_000_000 + "/1",
        "https://www.flickr.com/photos/britishlibrary/" + "1" * 1_000_000,
        "https://www.flickr.com/photos/britishlibrary/" + "0" * 1_000_000 + "1",
        "https://www.flickr.com/photos/britishlibrary/11307006026/" + "/" * 1_000_000,
        "https://flic.kr/p/" + "z" * 1_000_000,
        "https://www.flickr.com/photo.gne?short=" + "z" * 1_000_000,
        "https://www.flickr.com/photo.gne?id=" + "9" * 1_000_000,
        "https://" + "a[" * 500_000,
        "https://" + "a@" * 500_000,
        "https://www.flickr.com:" + "9" * 1_000_000 + "/",
        "https://live.staticflickr.com/1/" + "1" * 1_000_000 + "_a.jpg",
        "https://www.flickr.com/photos/tags/" + "%E2%82%AC" * 100_000,
        "https://www.flickr.com/photos/b/page" + "9" * 1_000_000,
        "https://www.flickr.com/" + "/photos" * 150_000,
        " " * 1_000_000,
        "\x00" * 1_000_000,
        "flic" * 250_000,
        "https://" + "\\" * 1_000_000 + "www.flickr.com/photos/a/1",
        "https://www.flickr.com/" + "../" * 300_000 + "photos/a/1",
        "https://www.flickr.com/photos/a/1/" + "%2e%2e/" * 150_000,
        "https://www.flickr.com/photo_exif.gne?" + "&amp;" * 200_000 + "id=1",
        "https://" + "%41" * 300_000 + ".flickr.com/",
        "https://" + "\uff46" * 500_000 + ".com/",
        "https://www.flickr.com/redirect?url=" + "https%3A%2F%2F" * 70_000,
        "https://www.fl" + "\t" * 1_000_000 + "ickr.com/photos/a/1",
        "https://" + "a:" * 500_000 + "@www.flickr.com/photos/a/1",
    ],
    ids=lambda t: repr(t[:40]),
)
def test_megabyte_input_is_rejected_quickly(text: str) -> None:
    start = time.perf_counter()
    assert outcome(parse_flickr_url, text) == outcome(_parse_slow, text)
    # Linear work on 1 MB takes milliseconds; anything quadratic would take minutes.
    assert time.perf_counter() - start < 10


# --- properties ------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=[])  # includes lone surrogates and controls

ALIASES = st.from_regex(r"[A-Za-z0-9_\-]{1,20}", fullmatch=True)
NSIDS = st.builds(
    lambda n, s: f"{n}@N{s:02d}",
    st.integers(min_value=1, max_value=999_999_999),
    st.integers(min_value=0, max_value=99),
)
USERS = st.one_of(ALIASES, NSIDS, st.sampled_from(["britishlibrary", "coast_guard", NSID]))
PHOTO_IDS = st.integers(min_value=1, max_value=10**19 - 1).map(str)

SCHEMES = st.sampled_from(
    ["https://", "http://", "", "//", "HTTP://", "https:/", "https:///", "ftp://", "mailto:"]
)
HOSTS = st.sampled_from(
    [
        "www.flickr.com",
        "flickr.com",
        "secure.flickr.com",
        "m.flickr.com",
        "WWW.Flickr.COM",
        "www.flickr.com.",
        "www.flickr.com:443",
        "live.staticflickr.com",
        "farm5.staticflickr.com",
        "farm1.static.flickr.com",
        "static.flickr.com",
        "c1.staticflickr.com",
        "photos12.flickr.com",
        "flic.kr",
        "help.flickr.com",
        "flickr.com.evil.example",
        "notflickr.com",
        "flickr.co",
        "staticflickr.com.example.org",
        "user@www.flickr.com",
        "www.flickr.com@evil.example",
        "[::1]",
        "",
    ]
)
WORDS = st.sampled_from(
    [
        "photos", "people", "groups", "tags", "in", "photostream", "album-72157638567645373",
        "set-72157638567645373", "pool-coast_guard", "dateposted", "faves-35591378@N03",
        "sizes", "o", "l", "lightbox", "meta", "albums", "sets", "galleries", "favorites",
        "with", "pool", "page2", "page0", "PAGE7", "p", "s", "ps", "2p4QbKN", "photo.gne",
        "photo_zoom.gne", "video", "4586", "37767087695_bb4ecff5f4_o.jpg", "0", "00123",
        "35591378%40N03", "%FF", "%E2%82%AC", "archives", "help", "", ".", "..",
    ]
)  # fmt: skip
SEGMENTS = st.one_of(
    WORDS,
    USERS,
    PHOTO_IDS,
    st.text(ANY_CHAR, max_size=6),
    st.from_regex(r"[0-9]{1,25}", fullmatch=True),
)
QUERIES = st.one_of(
    st.just(""),
    st.sampled_from(["?id=123", "?short=2p4QbKN", "?id=", "?rb=1&id=0042", "?x=%ZZ", "?"]),
    st.text(ANY_CHAR, max_size=8).map(lambda t: "?" + t),
)
FRAGMENTS = st.one_of(
    st.just(""),
    st.sampled_from(["#", "#/", "#comment1", "#/photos/britishlibrary/11307006026/"]),
    st.text(ANY_CHAR, max_size=8).map(lambda t: "#" + t),
)
PADDING = st.sampled_from(["", "", " ", "\t", "\n", "\x00", "\u3000"])


PAGE_HOSTS = st.sampled_from(
    ["www.flickr.com", "flickr.com", "secure.flickr.com", "m.flickr.com", "WWW.FLICKR.COM"]
)
STATIC_HOSTS = st.sampled_from(
    [
        "live.staticflickr.com",
        "farm5.staticflickr.com",
        "farm1.static.flickr.com",
        "static.flickr.com",
        "c1.staticflickr.com",
        "photos12.flickr.com",
    ]
)
SUFFIXES = st.sampled_from(
    ["", "/", "/in/photostream/", "/in/album-72157638567645373", "/sizes/o/", "/lightbox/",
     "?rb=1", "#c", "/in/pool-coast_guard/", "//", "/page2"]
)  # fmt: skip
LONG_IDS = st.integers(min_value=72157600000000000, max_value=72157699999999999).map(str)


@st.composite
def templated(draw: st.DrawFn) -> str:
    """A well-formed URL of one of the families, from generated users and ids."""
    family = draw(st.integers(min_value=0, max_value=9))
    u, pid, suffix = draw(USERS), draw(PHOTO_IDS), draw(SUFFIXES)
    if family <= 3:
        return f"{draw(SCHEMES)}{draw(PAGE_HOSTS)}/photos/{u}/{pid}{suffix}"
    if family == 4:
        return f"{draw(SCHEMES)}{draw(PAGE_HOSTS)}/{draw(st.sampled_from(['photos', 'people']))}/{u}{suffix}"
    if family == 5:
        prefix = draw(st.sampled_from(["", "4586/", "5/4586/", "1/2/3/", "video/"]))
        size = draw(st.sampled_from(["", "_o", "_b", "_3k", "_o_d"]))
        ext = draw(st.sampled_from([".jpg", ".png", ".JPG", ".mp4", ".txt", ""]))
        return (
            f"{draw(SCHEMES)}{draw(STATIC_HOSTS)}/{prefix}{pid}_{draw(ALIASES)}{size}{ext}{suffix}"
        )
    if family == 6:
        kind = draw(st.sampled_from(["albums", "sets", "galleries", "tags"]))
        return f"https://{draw(PAGE_HOSTS)}/photos/{u}/{kind}/{draw(LONG_IDS)}{suffix}"
    if family == 7:
        code = base58_encode(int(pid))
        return draw(
            st.sampled_from(
                [
                    f"https://flic.kr/p/{code}",
                    f"flic.kr/s/{code}/",
                    f"https://www.flickr.com/photo.gne?short={code}",
                ]
            )
        )
    if family == 8:
        return f"http://www.flickr.com/{draw(st.sampled_from(sorted(['photo.gne', 'photo_zoom.gne', 'photo_edit.gne'])))}?id={pid}"
    return f"https://{draw(PAGE_HOSTS)}/groups/{u}/pool{suffix}"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A templated URL with a few random edits: where the fast path's edges are."""
    chars = list(draw(templated()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        pos = draw(st.integers(min_value=0, max_value=len(chars)))
        edit = draw(st.integers(min_value=0, max_value=4))
        if edit == 0 and pos < len(chars):
            del chars[pos]
        elif edit == 1:
            chars.insert(pos, draw(st.one_of(ANY_CHAR, st.sampled_from(list("/?#%@:._-0aZ")))))
        elif edit == 2 and pos < len(chars):
            chars[pos] = chars[pos].swapcase()
        elif edit == 3 and pos < len(chars):
            chars[pos] = "".join(f"%{b:02X}" for b in chars[pos].encode("utf-8", "surrogatepass"))
        elif edit == 4 and pos < len(chars):
            chars.insert(pos, chars[pos])
    return "".join(chars)


@st.composite
def assembled(draw: st.DrawFn) -> str:
    """URL-like strings assembled from Flickr pieces and noise, in any order."""
    segments = draw(st.lists(SEGMENTS, max_size=7))
    separator = draw(st.sampled_from(["/", "/", "/", "//"]))
    path = separator + separator.join(segments) if segments else draw(st.sampled_from(["", "/"]))
    return (
        draw(PADDING)
        + draw(SCHEMES)
        + draw(HOSTS)
        + path
        + draw(QUERIES)
        + draw(FRAGMENTS)
        + draw(PADDING)
    )


def flickr_shaped() -> st.SearchStrategy[str]:
    """Well-formed Flickr URLs, the same with random edits, and assembled noise."""
    return st.one_of(templated(), mutated(), assembled())


def check_result(result: ParsedFlickrUrl) -> None:
    """Invariants every result keeps, whatever the input."""
    for value in (result.photo_id, result.album_id, result.gallery_id):
        if value is not None:
            assert value.isascii() and value.isdigit() and value[0] != "0" and len(value) <= 19
    assert (result.photo_id is not None) == (result.type == "single_photo")
    assert (result.album_id is not None) == (result.type == "album")
    assert (result.gallery_id is not None) == (result.type == "gallery")
    assert (result.group is not None) == (result.type == "group")
    assert (result.tag is not None) == (result.type == "tag")
    if result.user is None:
        assert result.user_is_nsid is None
    else:
        assert result.user_is_nsid is is_nsid(result.user)
    if result.page is not None:
        assert result.page >= 1
    if result.type == "homepage":
        assert result == ParsedFlickrUrl("homepage")


def outcome(parse: object, text: str) -> ParsedFlickrUrl | type[FlickrUrlError]:
    """The result, or the class of the error: what both paths must agree on."""
    assert callable(parse)
    try:
        result = parse(text)
    except FlickrUrlError as exc:
        assert exc.url is text
        return type(exc)
    assert isinstance(result, ParsedFlickrUrl)
    check_result(result)
    return result


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ANY_CHAR))
@example("")
@example("\ud800")
@example("https://www.flickr.com/photos/a/1\ud800")
def test_any_text_gives_a_result_or_a_flickr_error(text: str) -> None:
    assert outcome(parse_flickr_url, text) == outcome(_parse_slow, text)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(flickr_shaped())
def test_flickr_shaped_text_fast_path_equals_slow_path(text: str) -> None:
    assert outcome(parse_flickr_url, text) == outcome(_parse_slow, text)


@settings(max_examples=1000)
@given(
    USERS,
    PHOTO_IDS,
    st.integers(min_value=0, max_value=3),
    st.sampled_from(
        ["", "in/photostream/", "sizes/o/", "in/album-72157638567645373/", "lightbox/"]
    ),
)
def test_photo_page_round_trips(user_name: str, photo_id: str, zeros: int, suffix: str) -> None:
    url = f"https://www.flickr.com/photos/{user_name}/{'0' * zeros}{photo_id}/{suffix}"
    expected = photo(photo_id, user_name)
    assert parse_flickr_url(url) == expected
    assert _parse_slow(url) == expected
    assert same_flickr_photo_url(url, f"http://flickr.com/photos/{NSID}/{photo_id}")


@settings(max_examples=500)
@given(st.integers(min_value=1, max_value=10**19 - 1))
def test_short_links_round_trip(n: int) -> None:
    assert parse_flickr_url(f"https://flic.kr/p/{base58_encode(n)}") == photo(str(n))
    assert parse_flickr_url(f"https://flic.kr/s/{base58_encode(n)}") == album(str(n))


def test_fast_path_equals_slow_path_on_the_benchmark_mix() -> None:
    """50,000 varied, realistic URLs through both paths give the same outcomes."""
    urls = url_mix.generate_url_mix(50_000, seed=7)
    fast_answers = 0
    for url in urls:
        assert outcome(parse_flickr_url, url) == outcome(_parse_slow, url), url
        fast_answers += _parse_fast(url.strip()) is not None
    # The comparison is only meaningful if the fast path answered most of them.
    assert fast_answers > len(urls) * 0.6


def test_mix_is_mostly_distinct_and_deterministic() -> None:
    urls = url_mix.generate_url_mix(20_000)
    assert urls == url_mix.generate_url_mix(20_000)
    assert len(set(urls)) > 0.95 * len(urls)


def test_url_alphabet_sanity() -> None:
    """The fast-path regexes are ASCII-only: no Unicode digit or letter sneaks in."""
    for ch in "١٢٣٤٥٦٧٨٩٠":
        assert _parse_fast(f"https://www.flickr.com/photos/a/1{ch}") is None
    for ch in string.ascii_letters:
        assert _parse_fast(f"https://www.flickr.com/photos/a/1{ch}") is None


# --- browser rules, checked against a WHATWG parser ----------------------------------
#
# can_ada binds ada, a WHATWG URL parser (the rules browsers follow). It is the oracle
# here: when it says the host is not Flickr's, the parser must not give a photo id. Two
# leniencies of the parser are mirrored so that the oracle sees the same URL: text without
# a scheme is read as "http://" + text (as an address bar does; "//" + host as on an
# https page), and Unicode spaces at the ends are trimmed.

_ORACLE_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ORACLE_TRIM = (
    "".join(map(chr, range(0x21))) + "\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
)
FLICKR_DOMAINS = ("flickr.com", "staticflickr.com", "flic.kr", "flickr.net", "flickr.org")


def browser_host(text: str) -> str | None:
    """The host a browser opens for ``text`` (None: not an http(s) URL it can open)."""
    # A browser's string has no lone surrogates: they become U+FFFD, as in a USVString.
    s = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").strip(_ORACLE_TRIM)
    s = re.sub(r"[\t\n\r]", "", s)  # as ada does, before the address-bar decision below
    scheme = _ORACLE_SCHEME_RE.match(s)
    if scheme is None or "." in scheme[0]:
        if s[:2] in ("//", "\\\\", "/\\", "\\/"):
            s = "https:" + s  # scheme-relative, as on Commons' https pages
        elif s[:1] in ("/", "\\"):
            return None  # a path: the host is the page's own
        else:
            s = "http://" + s
    try:
        url = can_ada.parse(s)
    except ValueError:
        return None
    return url.hostname if url.protocol in ("http:", "https:") else None


def is_flickr_host(host: str) -> bool:
    """Flickr's own domains and their subdomains (an independent list, not the parser's)."""
    host = host.removesuffix(".")
    return any(host == d or host.endswith("." + d) for d in FLICKR_DOMAINS)


def photo_id_or_none(text: str) -> str | None:
    try:
        return parse_flickr_url(text).photo_id
    except FlickrUrlError:
        return None


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[repr(u)[:90] for u, _ in CASES])
def test_table_agrees_with_a_browser_on_the_host(
    url: str, expected: ParsedFlickrUrl | type[FlickrUrlError]
) -> None:
    """A photo id in the table only where a browser's host is Flickr's, and NOT only
    where it is not."""
    host = browser_host(url)
    if isinstance(expected, ParsedFlickrUrl) and expected.photo_id is not None:
        assert host is not None and is_flickr_host(host), host
    if host is not None and not is_flickr_host(host):
        assert expected is NOT
    if expected is NOT:
        assert host is None or not is_flickr_host(host), host


TRICKY_PIECES = st.sampled_from(
    [
        "evil.org", "flickr.com", "www.flickr.com", "flic.kr", "live.staticflickr.com",
        "commons.flickr.org", "flickr.com.evil.org", "xflickr.com", "staticflickr.com",
        "@", "@", "\\", "\\", "/", "//", ":", ":443", "\t", "\n", "?", "#", ".", "..",
        "%5C", "%40", "%2F", "%2e", "%66", "%", "\uff20", "\uff0f", "\u3002", "\ufb02",
        "\u00ad", "\uff46", " ", "\x00", "[", "]", "photos", "x", "123", "/photos/x/123",
        "photo.gne?id=123", "/p/2p4QbKN", "/4586/37767087695_bb4ecff5f4_o.jpg",
        "/members/x/", "url=https://www.flickr.com/photos/x/123", "redirect?",
    ]
)  # fmt: skip
URL_STARTS = st.sampled_from(
    ["https://", "http://", "HTTPS://", "https:", "https:\\\\", "https:/\\", "http:/", "",
     "//", "\\\\", "ftp://", "javascript:", " ", "\x01https://"]
)  # fmt: skip


@st.composite
def browser_tricks(draw: st.DrawFn) -> str:
    """A scheme, then Flickr hosts, separators, escapes and look-alike characters in any order."""
    return draw(URL_STARTS) + "".join(draw(st.lists(TRICKY_PIECES, max_size=10)))


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(browser_tricks(), flickr_shaped()))
@example("https://evil.org\\@flickr.com/photos/x/123")
@example("https://evil.org\t\\:443@flickr.com/photos/x/123")
@example("/\t/www.flickr.com/photos/1@N00/1")
@example("https://xn--zz.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg")
def test_no_photo_id_unless_a_browser_goes_to_flickr(text: str) -> None:
    """Whatever the string, a photo id only when a WHATWG parser's host is Flickr's."""
    photo_id = photo_id_or_none(text)
    if photo_id is not None:
        host = browser_host(text)
        assert host is not None and is_flickr_host(host), (host, photo_id)


@st.composite
def spliced(draw: st.DrawFn) -> str:
    """A well-formed Flickr URL with look-alike pieces spliced in anywhere."""
    chars = list(draw(templated()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        chars.insert(draw(st.integers(min_value=0, max_value=len(chars))), draw(TRICKY_PIECES))
    return "".join(chars)


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(spliced(), browser_tricks()))
def test_spliced_urls_give_no_photo_id_unless_a_browser_goes_to_flickr(text: str) -> None:
    photo_id = photo_id_or_none(text)
    if photo_id is not None:
        host = browser_host(text)
        assert host is not None and is_flickr_host(host), (host, photo_id)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(spliced(), browser_tricks(), flickr_shaped()))
@example("https:\\\\www.flickr.com\\help")
@example("https://\u00a1www.flickr.com/photos/0/1")  # a subdomain of flickr.com
def test_not_flickr_only_when_a_browser_goes_elsewhere(text: str) -> None:
    """NotAFlickrUrl never for a URL whose browser host is Flickr's."""
    try:
        parse_flickr_url(text)
    except NotAFlickrUrl:
        host = browser_host(text)
        assert host is None or not is_flickr_host(host), host
    except UnrecognisedFlickrUrl:
        pass


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(spliced(), browser_tricks()))
def test_browser_tricks_fast_path_equals_slow_path(text: str) -> None:
    assert outcome(parse_flickr_url, text) == outcome(_parse_slow, text)


# --- links of the kinds Commons files carry (tests/fixtures/urls/*.tsv) ---------------

LINKS_FILE = Path(__file__).parents[1] / "fixtures" / "urls" / "commons_flickr_links.tsv"


def read_links(path: Path) -> list[tuple[str, str]]:
    """(expected, url) pairs of a links file; the URL keeps its spaces."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            expected, url = line.split("\t", 1)
            rows.append((expected, url))
    return rows


def summary(text: str) -> str:
    """The parser's answer in the links file's notation."""
    try:
        r = parse_flickr_url(text)
    except NotAFlickrUrl:
        return "not_flickr"
    except UnrecognisedFlickrUrl:
        return "unrecognised"
    value = {
        "single_photo": r.photo_id,
        "user": r.user,
        "album": r.album_id,
        "gallery": r.gallery_id,
        "group": r.group,
        "tag": r.tag,
    }.get(r.type)
    kind = "photo" if r.type == "single_photo" else r.type
    return kind if value is None else f"{kind}:{value}"


LINKS = read_links(LINKS_FILE)


@pytest.mark.parametrize(("expected", "url"), LINKS, ids=[repr(u)[:90] for _, u in LINKS])
def test_commons_links(expected: str, url: str) -> None:
    assert summary(url) == expected


def test_commons_links_cover_every_family() -> None:
    kinds = {expected.split(":", 1)[0] for expected, _ in LINKS}
    assert kinds == {"photo", "user", "album", "gallery", "group", "tag", "homepage",
                     "unrecognised", "not_flickr"}  # fmt: skip
    assert len(LINKS) >= 150
