-- The PostgreSQL schema: the same tables as the SQLite migrations 0001-0012 (read there for what
-- each column means), in PostgreSQL's types. Integers are BIGINT because the store binds and
-- reads every integer as i64; keys compared with < or > are COLLATE "C" so pages sort as they do
-- on SQLite (by bytes). Later changes add numbered files here and beside the SQLite ones.
CREATE TABLE store_meta (
    key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO store_meta (key, value)
VALUES ('created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

CREATE TABLE audit_records (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id   TEXT   NOT NULL UNIQUE,
    time_ms    BIGINT NOT NULL,
    caller     TEXT   NOT NULL,
    rpc        TEXT   NOT NULL,
    request_id TEXT   NOT NULL DEFAULT '',
    resource   TEXT   NOT NULL DEFAULT '',
    code       BIGINT NOT NULL,
    reason     BIGINT NOT NULL
);
CREATE INDEX audit_records_by_caller ON audit_records (caller, seq);
CREATE INDEX audit_records_by_rpc ON audit_records (rpc, seq);

CREATE TABLE regions (
    name          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    display_name  TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    selector_json TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    request_id    TEXT UNIQUE,
    request_hash  TEXT
);

CREATE TABLE service_keys (
    key           TEXT PRIMARY KEY NOT NULL,
    port_uid      TEXT NOT NULL,
    single_use    BIGINT NOT NULL,
    vlan          BIGINT,
    customer_ref  TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT '',
    request_id    TEXT UNIQUE,
    request_hash  TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    deactivated   BIGINT NOT NULL DEFAULT 0,
    vxc_uid       TEXT,
    used_time     BIGINT
);
CREATE INDEX service_keys_port ON service_keys (port_uid);

CREATE TABLE service_key_requests (
    request_id    TEXT PRIMARY KEY NOT NULL,
    request_hash  TEXT NOT NULL,
    port_uid      TEXT NOT NULL,
    key           TEXT,
    create_time   BIGINT NOT NULL,
    customer_ref  TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_key_requests_pending ON service_key_requests (request_id) WHERE key IS NULL;

CREATE TABLE idempotent_responses (
    request_id    TEXT PRIMARY KEY NOT NULL,
    rpc           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    response      BYTEA NOT NULL,
    create_time   BIGINT NOT NULL
);

CREATE TABLE watch_batches (
    revision     BIGINT PRIMARY KEY NOT NULL,
    observe_time BIGINT NOT NULL,
    events_json  TEXT NOT NULL
);

CREATE TABLE watch_view (
    key       TEXT PRIMARY KEY NOT NULL,
    view_json TEXT NOT NULL
);

CREATE TABLE vxc_orders (
    order_id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    request_id             TEXT NOT NULL UNIQUE,
    account                TEXT NOT NULL,
    spec_json              TEXT NOT NULL,
    state                  TEXT NOT NULL,
    vxc_uid                TEXT UNIQUE,
    a_end_json             TEXT NOT NULL,
    b_end_json             TEXT NOT NULL,
    a_end_vlan             BIGINT NOT NULL DEFAULT 0,
    b_end_vlan             BIGINT NOT NULL DEFAULT 0,
    price_json             TEXT NOT NULL,
    approver               TEXT NOT NULL DEFAULT '',
    awaiting_approval_from TEXT NOT NULL DEFAULT '',
    state_message          TEXT NOT NULL DEFAULT '',
    error_reason           BIGINT NOT NULL DEFAULT 0,
    buy_attempts           BIGINT NOT NULL DEFAULT 0,
    create_time            BIGINT NOT NULL,
    update_time            BIGINT NOT NULL,
    vxc_json               TEXT
);
CREATE INDEX vxc_orders_newest ON vxc_orders (create_time DESC, order_id);

CREATE TABLE locks (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    expires_ms  BIGINT NOT NULL
);

CREATE TABLE port_signals (
    port_uid    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    update_ms   BIGINT NOT NULL,
    PRIMARY KEY (port_uid, kind)
);

CREATE TABLE approval_batches (
    revision       BIGINT PRIMARY KEY NOT NULL,
    observe_time   BIGINT NOT NULL,
    approvals_json TEXT NOT NULL
);

CREATE TABLE approval_view (
    approval_uid TEXT PRIMARY KEY NOT NULL,
    digest       TEXT NOT NULL
);

CREATE TABLE vxc_requests (
    request_id  TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    vxc_uid     TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    create_time BIGINT NOT NULL
);
