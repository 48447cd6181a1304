-- As migrations/0015_change_feed.sql (read there for why), in PostgreSQL's types.
CREATE TABLE change_feed (
    revision BIGINT PRIMARY KEY,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    time_ms  BIGINT NOT NULL,
    origin   TEXT NOT NULL
);
