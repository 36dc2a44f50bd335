"""``backfill parse-url``: show how :mod:`bot.core.flickr_urls` reads URLs, as JSON lines.

One JSON object per input, in input order, so the output lines up with the input
(blank lines included: they give an error object rather than being skipped).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

import orjson

from bot.core.errors import InputInvalid
from bot.core.flickr_urls import NotAFlickrUrl, UnrecognisedFlickrUrl, parse_flickr_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``parse-url`` to the ``backfill`` command line."""
    parser = subparsers.add_parser(
        "parse-url",
        help="parse Flickr URLs and print one JSON object per URL",
        description=(
            "Parse each URL (or, without arguments, each line of standard input) and "
            "print one JSON object per input: the parsed fields plus 'url', or 'url', "
            "'error' ('not_flickr' or 'unrecognised') and 'message'."
        ),
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="URLs to parse (default: stdin)")
    parser.set_defaults(func=run)


def parse_one(url: str) -> dict[str, object]:
    """The JSON object for one input: the fields of the result, or an error object."""
    try:
        parsed = parse_flickr_url(url)
    except NotAFlickrUrl as exc:
        return {"url": url, "error": "not_flickr", "message": str(exc)}
    except UnrecognisedFlickrUrl as exc:
        return {"url": url, "error": "unrecognised", "message": str(exc)}
    return {"url": url, **parsed.to_json()}


def _dumps(obj: dict[str, object]) -> str:
    """One JSON line; falls back to ASCII escapes for text orjson refuses (lone surrogates)."""
    try:
        return orjson.dumps(obj).decode()
    except orjson.JSONEncodeError:
        return json.dumps(obj)


def _stdin_lines() -> Iterator[str]:
    """Lines of standard input without their line endings (read lazily, so output streams)."""
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    """Print one JSON object per URL; exit 1 only when the input cannot be read."""
    urls: Iterator[str] = iter(args.urls) if args.urls else _stdin_lines()
    done = 0
    while True:
        try:
            url = next(urls)
        except StopIteration:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            raise InputInvalid(f"cannot read standard input after {done} line(s): {exc}") from exc
        sys.stdout.write(_dumps(parse_one(url)) + "\n")
        done += 1
