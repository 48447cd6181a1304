-- As migrations/0018_webhooks.sql (read there for why), in PostgreSQL's types.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- Space-separated, with a space at each end (" service_key.used vxc_order.state_changed "),
    -- so a type matches with one LIKE; a single space means every type.
    event_types     TEXT NOT NULL,
    secret          TEXT NOT NULL,
    disabled        BIGINT NOT NULL DEFAULT 0,
    disabled_reason TEXT NOT NULL DEFAULT '',
    create_time     BIGINT NOT NULL,
    request_id      TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL
);

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    occur_ms    BIGINT NOT NULL,
    payload     TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- pending | delivered | failed
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT NOT NULL,
    lease_until_ms   BIGINT NOT NULL DEFAULT 0,
    last_http_status BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    occur_ms         BIGINT NOT NULL,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, occur_ms);
