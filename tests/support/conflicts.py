"""Conflict rows for the store and review tests: the ``conflict`` fixture of ``tests/conftest.py``."""

from __future__ import annotations

from bot.store import ConflictOutcome, ConflictRecord, Store


class ConflictBuilder:
    """``conflict(name)`` is a ``creator_differs`` conflict on ``M1$A`` (the file names
    the creator ``name`` with no account); ``conflict.record(store, *records, ...)`` puts
    records in the queue the way a run does."""

    def __call__(self, name: str = "John Smith") -> ConflictRecord:
        existing = [
            {
                "mainsnak": {"snaktype": "somevalue", "property": "P170"},
                "qualifiers": {
                    "P2093": [
                        {
                            "snaktype": "value",
                            "property": "P2093",
                            "datavalue": {"type": "string", "value": name},
                        }
                    ]
                },
                "id": "M1$A",
                "rank": "normal",
                "type": "statement",
            }
        ]
        proposed = {"mainsnak": {"snaktype": "somevalue", "property": "P170"}, "type": "statement"}
        return ConflictRecord(
            property="P170",
            reason="creator_differs",
            existing=existing,
            proposed=proposed,
            statement_id="M1$A",
        )

    def record(
        self,
        store: Store,
        *records: ConflictRecord,
        mid: str = "M1",
        title: str | None = None,
        flickr_photo_id: str | None = "1",
        owner_nsid: str | None = "a@N01",
        base_revid: int | None = 10,
        run_id: int | None = 1,
        dry_run: bool = False,
    ) -> ConflictOutcome:
        """The store's answer for ``records`` (one creator conflict when none are given)
        found on ``mid`` (title ``File:<mid>.jpg`` unless given)."""
        return store.record_conflicts(
            mid=mid,
            title=title if title is not None else f"File:{mid}.jpg",
            flickr_photo_id=flickr_photo_id,
            owner_nsid=owner_nsid,
            base_revid=base_revid,
            conflicts=list(records) or [self()],
            run_id=run_id,
            dry_run=dry_run,
        )
