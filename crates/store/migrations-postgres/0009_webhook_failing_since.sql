-- As migrations/0020_webhook_failing_since.sql (read there for why), in PostgreSQL's types.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (occur_ms);
CREATE INDEX webhook_events_by_time ON webhook_events (occur_ms);
