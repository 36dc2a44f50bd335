"""``backfill extract`` and ``backfill export`` through ``bot.cli.main``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import FileStatus, Store
from tests.support import snapshot as h

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "standins" / "sample" / "commons-20251101-mediainfo.json.gz"


@pytest.fixture()
def snapshot_file(tmp_path: Path) -> Path:
    return h.write_snapshot(
        tmp_path / "commons-20251101-mediainfo.json.gz",
        [
            h.plain_entity("M10"),
            h.flickr_entity(
                "M11", "52810336619", "harbourlight", title="File:Harbour at dusk (52810336619).jpg"
            ),
            h.entity("M12", {"P170": [h.creator("M12", nsid="190318445@N07")]}),
            h.entity(
                "M13",
                {
                    "P7482": [
                        h.source(
                            "M13",
                            (
                                "P973",
                                "https://live.staticflickr.com/65535/53201947316_8d2e41c0fa_b.jpg",
                            ),
                        )
                    ]
                },
            ),
        ],
    )


def test_extract_prints_a_summary(
    tmp_path: Path, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    assert main(["extract", str(snapshot_file), "--db", str(db), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "extract summary" in out
    assert "files with Flickr evidence  3" in out
    with Store(db) as store:
        assert store.count_files() == 3


def test_extract_json_summary(
    tmp_path: Path, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    assert main(["extract", str(snapshot_file), "--db", str(db), "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["entities_scanned"] == 4
    assert summary["files_with_evidence"] == 3
    assert summary["user_only"] == 1
    assert summary["inserted"] == 3 and summary["ok"] is True
    # Again: nothing new, every row updated in place.
    assert main(["extract", str(snapshot_file), "--db", str(db), "--json", "--no-progress"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["inserted"], again["updated"]) == (0, 3)


def test_extract_truncated_exits_1_and_keeps_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    full = h.write_snapshot(
        tmp_path / "full.json.gz",
        [h.flickr_entity(f"M{i}", str(52810336000 + i)) for i in range(1, 4000)],
    )
    cut = tmp_path / "cut.json.gz"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    db = tmp_path / "bot.db"
    assert main(["extract", str(cut), "--db", str(db), "--json", "--no-progress"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["truncated"] is True and "truncated" in summary["error"]
    assert any(
        r.levelname == "ERROR" and "input truncated" in r.getMessage() for r in caplog.records
    )
    assert "ERROR: input truncated" in main_text(cut, tmp_path, capsys)
    with Store(db) as store:
        assert store.count_files() == summary["inserted"] > 0


def main_text(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The readable summary of another extract of ``path``."""
    main(["extract", str(path), "--db", str(tmp_path / "other.db"), "--no-progress"])
    return capsys.readouterr().out


def test_extract_needs_a_snapshot_or_titles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", "--db", str(tmp_path / "bot.db")]) == 2
    assert "SNAPSHOT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.json.gz"], "no such snapshot: "),
        (["--titles", "nope.txt"], "no such titles file: "),
        (["."], "snapshot . is a directory, not a file"),
    ],
)
def test_extract_checks_its_input_before_creating_a_store(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["extract", *args, "--db", str(tmp_path / "bot.db")]) == 5
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "bot.db").exists()


def test_extract_titles_only_and_with_a_snapshot(
    tmp_path: Path, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = tmp_path / "titles.txt"
    titles.write_text(
        "# files a maintainer asked for\nFile:Harbour at dusk (52810336619).jpg\n"
        "\nBridge_at_night.jpg\n",
        encoding="utf-8",
    )
    db = tmp_path / "bot.db"
    assert main(["extract", "--titles", str(titles), "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["titles_added"] == 2
    assert (
        main(
            [
                "extract",
                str(snapshot_file),
                "--titles",
                str(titles),
                "--db",
                str(db),
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["titles_added"] == 0  # already there
    assert (summary["inserted"], summary["updated"]) == (2, 1)  # M11 merged into its title row
    with Store(db) as store:
        rows = {r.title: r for r in store.iter_worklist()}
    assert rows["File:Harbour at dusk (52810336619).jpg"].mid == "M11"
    assert rows["File:Bridge at night.jpg"].mid is None


def test_export_json_lines(
    tmp_path: Path, snapshot_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    assert main(["extract", str(snapshot_file), "--db", str(db), "--no-progress"]) == 0
    with Store(db) as store:
        row = store.get_file("M11")
        assert row is not None
        store.record_outcome(row.id, FileStatus.EDITED, run_id=None, edited_revid=5)
    capsys.readouterr()
    assert main(["export", "--db", str(db)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["mid"] for r in records] == ["M11", "M12", "M13"]
    for record in records:
        assert set(record) == {"mid", "title", "flickr_photo_ids", "owner", "evidence", "status"}
    m11, m12, m13 = records
    assert m11["title"] == "File:Harbour at dusk (52810336619).jpg"
    assert m11["flickr_photo_ids"] == ["52810336619"]
    assert m11["owner"] == {"nsid": None, "path_alias": "harbourlight"}
    assert m11["status"] == "edited"
    assert m11["evidence"] == [
        {
            "source": "P7482.P973",
            "operator": "Q103204",
            "photo_id": "52810336619",
            "user": "harbourlight",
            "value": "https://www.flickr.com/photos/harbourlight/52810336619/",
        }
    ]
    assert m12["flickr_photo_ids"] == [] and m12["owner"] == {
        "nsid": "190318445@N07",
        "path_alias": None,
    }
    assert m13["owner"] is None and m13["status"] == "pending"


def test_export_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(tmp_path / "none.db")]) == 6
    err = capsys.readouterr().err
    assert err.startswith("backfill export: no store at ") and err.count("\n") == 1
    assert not (tmp_path / "none.db").exists()


def test_extract_the_bundled_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "bot.db"
    assert main(["extract", str(SAMPLE), "--db", str(db), "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["entities_scanned"] == 40
    assert summary["files_with_evidence"] == 13
    assert summary["multi_photo"] == 1 and summary["user_only"] == 2
    assert summary["with_p12120"] == 1 and summary["malformed_lines"] == 1
    assert main(["export", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 13


def _sample_with(tmp_path: Path, extra: bytes, *, at: int = 6) -> Path:
    """The bundled sample with one more line after its line ``at - 1``."""
    lines = gzip.decompress(SAMPLE.read_bytes()).split(b"\n")
    lines.insert(at - 1, extra)
    path = tmp_path / SAMPLE.name
    path.write_bytes(gzip.compress(b"\n".join(lines), mtime=0))
    return path


DEEP = 100_000


@pytest.mark.parametrize(
    "value",
    [b"[" * DEEP + b"]" * DEEP, b"[ " * DEEP + b"]" * DEEP, b'[{"a":' * DEEP + b"1" + b"}]" * DEEP],
    ids=["brackets", "spaced", "interleaved"],
)
def test_extract_a_line_nested_100000_deep_between_good_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: bytes
) -> None:
    deep = (
        b'{"type":"mediainfo","id":"M999","labels":{"en":{"language":"en","value":"Flickr"}},'
        b'"x":' + value + b',"statements":[]},'
    )
    db = tmp_path / "bot.db"
    path = _sample_with(tmp_path, deep)
    assert main(["extract", str(path), "--db", str(db), "--json", "--no-progress"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["files_with_evidence"] == 13 and summary["inserted"] == 13
    assert summary["malformed_lines"] == 2  # this one and the sample's own
    assert (6, "nested deeper than 64 levels") in [
        (m["line"], m["reason"][:28]) for m in summary["malformed_examples"]
    ]
    assert "Traceback" not in captured.err
    with Store(db) as store:
        assert store.count_files() == 13
    assert "! line 6: nested deeper than 64 levels" in main_text(path, tmp_path, capsys)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            SAMPLE.name,
            gzip.decompress(SAMPLE.read_bytes()),
            "named .gz but its content is plain JSON",
        ),
        ("commons-20251101-mediainfo.json", SAMPLE.read_bytes(), "is gzip-compressed"),
        (SAMPLE.name, b"", "the file is empty (0 bytes)"),
    ],
    ids=["plain-named-gz", "gzip-named-json", "empty"],
)
def test_extract_refuses_a_file_that_is_not_what_its_name_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    db = tmp_path / "bot.db"
    assert main(["extract", str(path), "--db", str(db), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"backfill extract: {path}: ") and message in line
    with Store(db) as store:
        assert store.count_files() == 0


def test_extract_a_gzip_stream_of_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / SAMPLE.name
    path.write_bytes(gzip.compress(b"", mtime=0))
    assert main(["extract", str(path), "--db", str(tmp_path / "bot.db"), "--no-progress"]) == 1
    assert "ERROR: no data: the snapshot decompresses to nothing" in capsys.readouterr().out
