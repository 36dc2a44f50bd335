"""``backfill parse-url``: one JSON object per input, from arguments or stdin."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from bot.cli import main


def run(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> tuple[int, list[dict[str, object]], str]:
    """Exit status, the JSON lines of stdout, and stderr."""
    status = main(argv)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    return status, lines, captured.err


def test_arguments_give_one_object_each_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run(
        capsys,
        [
            "parse-url",
            "https://www.flickr.com/photos/britishlibrary/11307006026/in/photostream/",
            "https://flic.kr/p/2p4QbKN",
            "https://example.org/",
            "https://www.flickr.com/help/",
        ],
    )
    assert status == 0
    assert err == ""
    assert lines[0] == {
        "url": "https://www.flickr.com/photos/britishlibrary/11307006026/in/photostream/",
        "type": "single_photo",
        "photo_id": "11307006026",
        "user": "britishlibrary",
        "user_is_nsid": False,
        "album_id": None,
        "gallery_id": None,
        "group": None,
        "tag": None,
        "page": None,
    }
    assert lines[1]["photo_id"] == "53208249252"
    assert lines[2]["error"] == "not_flickr"
    assert lines[2]["url"] == "https://example.org/"
    assert "not Flickr" in str(lines[2]["message"])
    assert set(lines[2]) == {"url", "error", "message"}
    assert lines[3]["error"] == "unrecognised"
    assert len(lines) == 4


def test_url_comes_first(capsys: pytest.CaptureFixture[str]) -> None:
    main(["parse-url", "https://www.flickr.com/people/35591378@N03/"])
    out = capsys.readouterr().out
    assert out.startswith('{"url":')
    assert json.loads(out)["user_is_nsid"] is True


def test_stdin_one_url_per_line_blank_lines_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "https://www.flickr.com/photos/coast_guard/5432109876/\r\n"
        "\n"
        "   \n"
        "https://www.flickr.com/groups/coast_guard/pool/page2\n"
        "https://live.staticflickr.com/4586/37767087695_bb4ecff5f4_o.jpg"  # no final newline
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    status, lines, _ = run(capsys, ["parse-url"])
    assert status == 0
    assert [line.get("type", line.get("error")) for line in lines] == [
        "single_photo",
        "not_flickr",
        "not_flickr",
        "group",
        "single_photo",
    ]
    assert lines[0]["url"] == "https://www.flickr.com/photos/coast_guard/5432109876/"
    assert lines[1]["url"] == ""
    assert lines[2]["url"] == "   "
    assert lines[3]["page"] == 2


def test_empty_stdin_prints_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(capsys, ["parse-url"]) == (0, [], "")


def test_unreadable_stdin_exits_1_with_a_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b"https://flic.kr/p/2p4QbKN\n\xff\xfe not utf-8\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    status = main(["parse-url"])
    captured = capsys.readouterr()
    assert status == 1
    assert "cannot read standard input" in captured.err
    assert captured.err.count("\n") == 1


def test_stdin_that_raises_oserror(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def __iter__(self) -> Iterator[str]:
            raise OSError("Input/output error")

    monkeypatch.setattr("sys.stdin", Broken())
    status = main(["parse-url"])
    assert status == 1
    assert "Input/output error" in capsys.readouterr().err


def test_text_orjson_refuses_is_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """A lone surrogate (from an undecodable argv byte) still gives valid JSON."""
    status, lines, _ = run(capsys, ["parse-url", "https://www.flickr.com/photos/tags/a\udcff/"])
    assert status == 0
    assert lines[0]["url"] == "https://www.flickr.com/photos/tags/a\udcff/"
    assert lines[0]["error"] == "unrecognised"


def test_non_ascii_is_written_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    main(["parse-url", "https://www.flickr.com/photos/tags/caf%C3%A9/"])
    out = capsys.readouterr().out
    assert '"tag":"café"' in out


def test_help_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "parse-url" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "answer"),
    [
        ("https://evil.org\\@flickr.com/photos/x/123", "not_flickr"),
        ("https://evil.org\\@flic.kr/p/2p4QbKN", "not_flickr"),
        ("https://www.flickr.com\\photos\\britishlibrary\\11307006026", "single_photo"),
        ("http://flickr.com/photo/17277074@N00/2619974961", "single_photo"),
        ("https://www.flickr.com/photo_exif.gne?id=1427904898", "single_photo"),
        (
            "https://www.flickr.com/apps/video/stewart.swf?v=71377&photo_id=4281814684",
            "single_photo",
        ),
        ("https://www.flickr.com/photos/flickr/gallery/72157722096057728/page2", "gallery"),
        ("https://commons.flickr.org/members/swedish_heritage_board/", "user"),
        ("https://commons.flickr.org/about/", "unrecognised"),
    ],
)
def test_browser_rules_and_new_families(
    capsys: pytest.CaptureFixture[str], url: str, answer: str
) -> None:
    status, lines, _ = run(capsys, ["parse-url", url])
    assert status == 0
    assert lines[0].get("type", lines[0].get("error")) == answer
    assert lines[0]["url"] == url


def test_lower_case_nsid_is_given_in_canonical_case(capsys: pytest.CaptureFixture[str]) -> None:
    _, lines, _ = run(
        capsys, ["parse-url", "https://www.flickr.com/photos/11588490@n02/2174280796/sizes/l"]
    )
    assert (lines[0]["photo_id"], lines[0]["user"], lines[0]["user_is_nsid"]) == (
        "2174280796",
        "11588490@N02",
        True,
    )


def test_stdin_tab_inside_a_line_is_removed_as_a_browser_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("https://www.flic\tkr.com/photos/a/123\n"))
    _, lines, _ = run(capsys, ["parse-url"])
    assert lines[0]["photo_id"] == "123"
