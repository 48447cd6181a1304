-- An endpoint whose every attempt has failed since failing_since_ms (the database's clock; 0
-- while its last attempt succeeded) is disabled after webhooks.disable_after_seconds.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since_ms INTEGER NOT NULL DEFAULT 0;

-- Pruning finds ended deliveries and orphaned events by their time (retention.webhook_days).
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (occur_ms);
CREATE INDEX webhook_events_by_time ON webhook_events (occur_ms);
