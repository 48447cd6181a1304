-- The change feed: one row per committed change of state the replicas share (regions, orders,
-- approval decisions, the key ledger, Port signals), written in the transaction of the change
-- itself, revisions in commit order. Every replica's read models follow it (told of new rows
-- by NOTIFY on PostgreSQL, in-process on SQLite) and catch up from it after missing a notice.
CREATE TABLE change_feed (
    revision INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    -- What changed within the kind (a region's name, an order's id); '' for all of it.
    subject  TEXT NOT NULL,
    -- The database's clock at the change.
    time_ms  INTEGER NOT NULL,
    -- The process that wrote it: its own writes reach its read models directly.
    origin   TEXT NOT NULL
);
