"""The bot's SQLite store: the one module that owns the schema and writes SQL against it.

Tables (schema version ``SCHEMA_VERSION``; ``migrate()`` brings any older file up):

- ``files``         the worklist: one row per Commons file with Flickr evidence, plus its
                    processing state (outcome, revision edited, attempts). The snapshot
                    extractor writes the evidence columns; only the job writes the state.
- ``runs``          one row per ``backfill run`` (real or dry), with its summary.
- ``edit_journal``  write-ahead intent for every edit: written (and committed) before
                    ``wbeditentity`` is sent, closed after. A run killed between the two
                    leaves an open intent; the next run re-reads and re-plans that file
                    (planning is idempotent) instead of trusting either side.
- ``conflicts``     the review queue, one row per (file, property, reason, values).
- ``conflict_events`` the audit trail of every state change of a conflict: append-only
                    (triggers abort any UPDATE or DELETE).
- ``conflict_counts`` counts per (status, reason, property), kept by triggers so the review
                    page shows them without scanning a million rows.
- ``owners``, ``alias_nsid``, ``wikidata_flickr_ids``, ``flickr_photo_status``: caches
                    that survive runs (Flickr owners, path alias → NSID, Wikidata creator
                    items → their Flickr user ids, photos known to be gone).
- ``licence_drift`` the licence drift report: files whose Flickr licence now differs
                    from what Commons records (``licences.py``); read-only for the page.
- ``bulk_tasks``    bulk decisions confirmed on the review page, run in the background by
                    its worker (``bulk_tasks.py``): state, progress and a heartbeat.
- ``rules``, ``rule_events``  decision rules (``rules.py``): a saved filter plus a
                    decision, its state and who wrote, paused or retired it.
- ``locks``         a lease that keeps two runs from overlapping (a scheduled run must not
                    start while the previous one is still going).

SQLite runs in rollback-journal mode (``journal_mode=DELETE``) with a busy timeout and
short transactions: the job and the review page are separate processes on different
Toolforge hosts sharing the file over NFS, where WAL's shared memory does not work.
"""

from __future__ import annotations

import os

from bot.store.bhl_pages import BhlPageStore
from bot.store.bulk_tasks import BulkTaskStore
from bot.store.caches import CacheStore
from bot.store.decisions import DecisionStore
from bot.store.licences import LicenceStore
from bot.store.location import StoreLocation
from bot.store.rules import RuleStore
from bot.store.worklist import WorklistStore


class Store(
    WorklistStore, CacheStore, RuleStore, DecisionStore, LicenceStore, BulkTaskStore, BhlPageStore
):
    """The store, on SQLite or MariaDB. One instance per process; cheap to open."""

    def __init__(
        self, location: str | os.PathLike[str] | StoreLocation, *, migrate: bool = True
    ) -> None:
        super().__init__(location, migrate=migrate)
        if migrate:  # the job and the CLI migrate; the review page never does
            self.fill_rule_sides()
