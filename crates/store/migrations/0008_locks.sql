-- Named leases (core::locks): mutual exclusion that holds across processes on one database.
-- A lease past expires_ms is free for the next taker.
CREATE TABLE locks (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL
);
