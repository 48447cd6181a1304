-- The store's own bookkeeping: which onramp instance created this database and when.
-- Each later feature adds its own numbered migration file; never edit one that has shipped.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
