-- Provider regions. The selector is JSON ({countries, metros, location_ids, port_uids}) because it
-- is always read and written whole. request_id/request_hash make CreateRegion idempotent.
CREATE TABLE regions (
    name          TEXT PRIMARY KEY NOT NULL,
    display_name  TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    selector_json TEXT NOT NULL,
    create_time   INTEGER NOT NULL, -- unix milliseconds
    update_time   INTEGER NOT NULL,
    request_id    TEXT UNIQUE,
    request_hash  TEXT
);
