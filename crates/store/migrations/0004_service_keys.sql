-- The key ledger: what onramp knows about a service key that Megaport does not keep.
-- request_hash tells a replay (same parameters) from a reuse of the request id.
CREATE TABLE service_keys (
    key           TEXT PRIMARY KEY NOT NULL,
    port_uid      TEXT NOT NULL,
    single_use    INTEGER NOT NULL,
    vlan          INTEGER,
    customer_ref  TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT '',
    request_id    TEXT UNIQUE,
    request_hash  TEXT NOT NULL DEFAULT '',
    create_time   INTEGER NOT NULL,   -- unix milliseconds
    deactivated   INTEGER NOT NULL DEFAULT 0,
    vxc_uid       TEXT,               -- the VXC a used single-use key became, matched by Port+VLAN
    used_time     INTEGER
);
CREATE INDEX service_keys_port ON service_keys (port_uid);

-- A create is journaled before the POST to Megaport, so a crash or an unknown outcome can be
-- reconciled by finding the request id stamped in the key's description.
CREATE TABLE service_key_requests (
    request_id    TEXT PRIMARY KEY NOT NULL,
    request_hash  TEXT NOT NULL,
    port_uid      TEXT NOT NULL,
    key           TEXT,               -- set once Megaport answered
    create_time   INTEGER NOT NULL
);

-- Replays of multi-step calls (IssueServiceKeys) return the first response as sent.
CREATE TABLE idempotent_responses (
    request_id    TEXT PRIMARY KEY NOT NULL,
    rpc           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    response      BLOB NOT NULL,
    create_time   INTEGER NOT NULL
);
