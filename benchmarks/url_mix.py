"""A deterministic, realistic mix of the source URLs found on Commons Flickr files.

Benchmarks (and the fast-path/slow-path equivalence test) need many *distinct* URLs in
roughly the proportions of the snapshot, so every URL gets random ids and users rather
than repeating a handful of samples. Proportions (``WEIGHTS``):

* 55 % photo pages, mostly ``https://www.flickr.com/photos/<user>/<id>/`` with the
  suffixes Flickr added over the years, and a few odd spellings (upper case, doubled
  slashes, encoded NSIDs, the old mobile site, ``@n`` NSIDs, early Flickr's ``/photo/``);
* 15 % static image URLs on every image host Flickr used;
* 10 % profile pages (photostreams, ``/people/``, pages of either);
* 5 % legacy ``.gne`` links (``photo_exif.gne``, ``video_download.gne`` ...), the Flash
  player and ``flic.kr`` short links;
* 5 % albums, galleries (also ``/gallery/``), groups, tags and Flickr Commons members;
* 10 % not Flickr or junk (other sites, look-alike hosts, ``evil.org\\@flickr.com``
  tricks, archived copies, free text, empty fields).

Run ``python benchmarks/url_mix.py 20`` to print a sample.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

BASE58_ALPHABET = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

WEIGHTS: dict[str, int] = {
    "photo_page": 55,
    "static": 15,
    "profile": 10,
    "legacy": 5,
    "other_page": 5,
    "junk": 10,
}

_SYLLABLES = (
    "ka", "ro", "mi", "sun", "set", "bird", "photo", "graph", "lib", "rary", "coast",
    "guard", "art", "map", "nasa", "trip", "city", "blue", "old", "film", "museum",
)  # fmt: skip
_REAL_ALIASES = (
    "britishlibrary",
    "coast_guard",
    "nasacommons",
    "usnavy",
    "internetarchivebookimages",
)


def _b58(n: int) -> str:
    """Flickr base58, written independently of bot.core.flickr_urls so tests cross-check it."""
    out = ""
    while True:
        n, r = divmod(n, 58)
        out = BASE58_ALPHABET[r] + out
        if n == 0:
            return out


class _Gen:
    """Random pieces of Flickr URLs from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def pick(self, options: tuple[str, ...] | list[str], weights: list[int] | None = None) -> str:
        """One option, weighted: the snapshot is dominated by a few forms."""
        return self.r.choices(options, weights=weights)[0]

    def photo_id(self) -> str:
        # Mostly today's 11 digits; older uploads have 7 to 10.
        digits = self.r.choices([11, 10, 9, 8, 7], weights=[70, 15, 8, 5, 2])[0]
        return str(self.r.randrange(10 ** (digits - 1), 10**digits))

    def nsid(self) -> str:
        return f"{self.r.randrange(10_000_000, 200_000_000)}@N{self.r.randrange(0, 8):02d}"

    def alias(self) -> str:
        r = self.r
        if r.random() < 0.05:
            return r.choice(_REAL_ALIASES)
        parts = [r.choice(_SYLLABLES) for _ in range(r.randint(1, 3))]
        sep = r.choice(["", "", "_", "-"])
        alias = sep.join(parts)
        if r.random() < 0.6:
            alias += str(r.randrange(1, 10_000))
        return alias

    def user(self) -> str:
        return self.nsid() if self.r.random() < 0.4 else self.alias()

    def long_id(self) -> str:
        return "72157" + str(self.r.randrange(10**11, 10**12))

    def secret(self) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(10))

    def scheme(self) -> str:
        return self.pick(("https://", "http://", "", "//"), [60, 30, 8, 2])

    def page_host(self) -> str:
        return self.pick(
            ("www.flickr.com", "flickr.com", "secure.flickr.com", "m.flickr.com"), [85, 12, 2, 1]
        )


def _photo_page(g: _Gen) -> str:
    r = g.r
    user, pid = g.user(), g.photo_id()
    suffix = g.pick(
        (
            "/", "", "/in/photostream/", "/in/album-{album}/", "/in/set-{album}",
            "/in/pool-{group}/", "/in/dateposted/", "/in/faves-{user2}/", "/sizes/o/",
            "/sizes/l/in/photostream/", "/lightbox/", "/meta/", "?rb=1", "#comment{album}",
            "/in/photostream/lightbox/",
        ),
        [40, 15, 15, 5, 3, 3, 2, 2, 4, 2, 2, 1, 2, 1, 3],
    ).format(album=g.long_id(), group=g.alias(), user2=g.user())  # fmt: skip
    url = f"{g.scheme()}{g.page_host()}/photos/{user}/{pid}{suffix}"
    if r.random() < 0.06:  # the odd spellings of the snapshot
        odd = r.randrange(8)
        if odd == 0:
            url = url.replace("www.flickr.com", "WWW.FLICKR.COM").replace("https://", "HTTPS://")
        elif odd == 1:
            url = url.replace(f"/{pid}", f"//{pid}")
        elif odd == 2:
            url = f"https://www.flickr.com/photos/{user.replace('@', '%40')}/{pid}/"
        elif odd == 3:
            url = f"https://m.flickr.com/#/photos/{user}/{pid}/"
        elif odd == 4:
            url = f"  {url}\n"
        elif odd == 5:
            url = f"https://www.flickr.com/photos/{g.nsid().replace('@N', '@n')}/{pid}/sizes/o/"
        elif odd == 6:
            url = f"http://flickr.com/photo/{user}/{pid}"
        else:
            url = f"http://www.flickr.com/photos/{user}/0{pid}"
    return url


def _static(g: _Gen) -> str:
    r = g.r
    pid, secret, server = g.photo_id(), g.secret(), r.randrange(1, 66000)
    size = g.pick(
        ("", "_b", "_o", "_z", "_m", "_k", "_c", "_t", "_h"), [30, 20, 15, 10, 5, 5, 5, 5, 5]
    )
    ext = ".png" if size == "_o" and r.random() < 0.1 else ".jpg"
    farm = r.randrange(1, 67)
    form = r.randrange(10)
    if form < 4:
        return f"https://live.staticflickr.com/{server}/{pid}_{secret}{size}{ext}"
    if form < 6:
        return f"https://farm{farm}.staticflickr.com/{server}/{pid}_{secret}{size}{ext}"
    if form < 8:
        return f"http://farm{farm}.static.flickr.com/{server}/{pid}_{secret}{size}{ext}"
    if form == 8:
        return f"https://c1.staticflickr.com/{farm}/{server}/{pid}_{secret}{size}{ext}"
    if r.random() < 0.5:
        return f"http://static.flickr.com/{server}/{pid}_{secret}{size}{ext}"
    return f"http://photos{r.randrange(1, 30)}.flickr.com/{pid}_{secret}{ext}"


def _profile(g: _Gen) -> str:
    user = g.user()
    tail = g.pick(
        ("/", "", "/page{n}", "/albums", "/favorites/", "/page{n}/"), [60, 10, 10, 8, 6, 6]
    )
    kind = g.pick(("photos", "people"), [70, 30])
    if kind == "people":
        tail = g.pick(("/", ""), [80, 20])
    return f"{g.scheme()}{g.page_host()}/{kind}/{user}{tail.format(n=g.r.randrange(2, 60))}"


def _legacy(g: _Gen) -> str:
    r = g.r
    pid = g.photo_id()
    form = r.randrange(9)
    if form == 6:
        return f"https://www.flickr.com/photo_exif.gne?id={pid}"
    if form == 7:
        return f"https://www.flickr.com/video_download.gne?id={pid}"
    if form == 8:
        return (
            "http://www.flickr.com/apps/video/stewart.swf?v=71377"
            f"&amp;photo_id={pid}&amp;photo_secret={g.secret()}"
        )
    if form == 0:
        return f"http://www.flickr.com/photo.gne?id={pid}"
    if form == 1:
        return f"http://flickr.com/photo_zoom.gne?id={pid}&size=o"
    if form == 2:
        return f"http://www.flickr.com/photo_edit.gne?id={pid}"
    if form == 3:
        return f"https://www.flickr.com/photo.gne?short={_b58(int(pid))}"
    if form == 4:
        return f"https://flic.kr/s/{_b58(int(g.long_id()))}"
    return f"{g.pick(('https://', 'http://', ''))}flic.kr/p/{_b58(int(pid))}"


def _other_page(g: _Gen) -> str:
    user, host = g.user(), g.page_host()
    form = g.r.randrange(9)
    if form == 7:
        return f"https://{host}/photos/{user}/gallery/{g.long_id()}/page{g.r.randrange(2, 9)}"
    if form == 8:
        return f"https://commons.flickr.org/members/{user}/"
    if form == 0:
        return f"https://{host}/photos/{user}/albums/{g.long_id()}"
    if form == 1:
        return f"http://{host}/photos/{user}/sets/{g.long_id()}/"
    if form == 2:
        return f"https://{host}/photos/{user}/sets/{g.long_id()}/with/{g.photo_id()}/"
    if form == 3:
        return f"https://{host}/photos/{user}/galleries/{g.long_id()}/"
    if form == 4:
        tail = g.pick(("/", "/pool/", f"/pool/page{g.r.randrange(2, 40)}"))
        return f"https://{host}/groups/{g.alias()}{tail}"
    if form == 5:
        return f"https://{host}/photos/tags/{g.alias()}/"
    return f"https://{host}/photos/{user}/tags/{g.alias()}/"


def _junk(g: _Gen) -> str:
    r = g.r
    pid = g.photo_id()
    form = r.randrange(14)
    if form == 12:
        return f"https://evil.example\\@www.flickr.com/photos/{g.user()}/{pid}/"
    if form == 13:
        return f"https://web.archive.org/web/2016/https://www.flickr.com/photos/{g.user()}/{pid}/"
    if form == 0:
        return f"https://commons.wikimedia.org/wiki/File:{g.alias()}_{pid}.jpg"
    if form == 1:
        return f"http://www.{g.alias()}.org/gallery/{pid}.html"
    if form == 2:
        return f"https://flickr.com.{g.alias()}.example/photos/{g.user()}/{pid}"
    if form == 3:
        return f"https://notflickr.com/photos/{g.user()}/{pid}/"
    if form == 4:
        return r.choice(
            ["Own work", "own work", "self-made", "Scanned from the original", "unknown"]
        )
    if form == 5:
        return ""
    if form == 6:
        return f"[https://www.flickr.com/photos/{g.user()}/{pid}/ Flickr]"
    if form == 7:
        return f"https://www.flickr.com/help/{g.alias()}/"
    if form == 8:
        return f"https://www.flickr.com/photos/{g.user()}/{g.alias()}x"
    if form == 9:
        return f"https://www.youtube.com/watch?v={g.secret()}"
    if form == 10:
        return f"https://flickr.co/photos/{g.user()}/{pid}"
    return f"https://staticflickr.com.example.org/{r.randrange(1, 9999)}/{pid}_{g.secret()}.jpg"


_MAKERS: dict[str, Callable[[_Gen], str]] = {
    "photo_page": _photo_page,
    "static": _static,
    "profile": _profile,
    "legacy": _legacy,
    "other_page": _other_page,
    "junk": _junk,
}


def generate_labelled_mix(n: int, seed: int = 20240601) -> list[tuple[str, str]]:
    """``n`` (category, url) pairs, the same for the same seed."""
    g = _Gen(seed)
    names = list(WEIGHTS)
    weights = [WEIGHTS[name] for name in names]
    categories = g.r.choices(names, weights=weights, k=n)
    return [(c, _MAKERS[c](g)) for c in categories]


def generate_url_mix(n: int, seed: int = 20240601) -> list[str]:
    """``n`` URLs in the snapshot's proportions, the same for the same seed."""
    return [url for _, url in generate_labelled_mix(n, seed)]


if __name__ == "__main__":
    for category, url in generate_labelled_mix(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
        print(f"{category:11} {url!r}")
