-- The approval inbox's watch history, as watch_batches and watch_view are the keys': one row per
-- revision (one read of Megaport's inbox that found approvals new or changed, each approval
-- whole as JSON), replayed to resuming WatchApprovals streams, and a digest of every approval as
-- last seen, so a restart diffs against what was seen rather than reporting everything again.
CREATE TABLE approval_batches (
    revision       INTEGER PRIMARY KEY NOT NULL,
    observe_time   INTEGER NOT NULL,
    approvals_json TEXT NOT NULL
);

CREATE TABLE approval_view (
    approval_uid TEXT PRIMARY KEY NOT NULL,
    digest       TEXT NOT NULL
);
