-- RotateWebhookSecret: the secret replaced by the last rotation keeps signing beside the new one
-- until previous_until_ms (the database's clock), so receivers can switch without a gap.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_until_ms INTEGER NOT NULL DEFAULT 0;
