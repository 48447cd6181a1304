-- As migrations/0019_webhook_secret_rotation.sql (read there for why), in PostgreSQL's types.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_until_ms BIGINT NOT NULL DEFAULT 0;
