-- The request journal of ChangeVxc, CancelVxc and UncancelVxc: one row per request_id, written
-- once the call succeeded, so a replay returns the first answer (and a late retry never undoes a
-- later change) and the same request_id with other parameters is refused. after_json is the VXC
-- as the call left it, read and written whole.
CREATE TABLE vxc_requests (
    request_id  TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    vxc_uid     TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    create_time INTEGER NOT NULL -- unix milliseconds
);
