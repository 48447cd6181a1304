-- An endpoint whose every attempt has failed since failing_since_ms (the database's clock; 0
-- while its last attempt succeeded) is disabled after webhooks.disable_after_seconds.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since_ms INTEGER NOT NULL DEFAULT 0;
