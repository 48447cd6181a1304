-- Outbound webhooks (crates/store/src/webhooks.rs). Endpoints are where events go; an event is
-- written to webhook_events in the same transaction as the change that causes it (the
-- transactional outbox), with one webhook_deliveries row per endpoint that wants it, so a crash
-- between the change and the delivery loses nothing. A dispatcher claims due deliveries with a
-- lease (lease_until_ms), so with several replicas one of them sends each.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- Space-separated, with a space at each end (" service_key.used vxc_order.state_changed "),
    -- so a type matches with one LIKE; a single space means every type.
    event_types     TEXT NOT NULL,
    secret          TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT NOT NULL DEFAULT '',
    create_time     INTEGER NOT NULL,
    request_id      TEXT NOT NULL UNIQUE,
    request_hash    TEXT NOT NULL
);

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    occur_ms    INTEGER NOT NULL,
    payload     TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- pending | delivered | failed
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    lease_until_ms   INTEGER NOT NULL DEFAULT 0,
    last_http_status INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    occur_ms         INTEGER NOT NULL,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, occur_ms);
