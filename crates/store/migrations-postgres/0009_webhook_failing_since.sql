-- As migrations/0020_webhook_failing_since.sql (read there for why), in PostgreSQL's types.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since_ms BIGINT NOT NULL DEFAULT 0;
