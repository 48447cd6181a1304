-- The key watcher's history: one row per revision (one poll batch), replayed to resuming
-- watchers, and the last observed view of every key so a restart diffs against what was seen.
CREATE TABLE watch_batches (
    revision     INTEGER PRIMARY KEY NOT NULL,
    observe_time INTEGER NOT NULL,
    events_json  TEXT NOT NULL
);

CREATE TABLE watch_view (
    key       TEXT PRIMARY KEY NOT NULL,
    view_json TEXT NOT NULL
);
