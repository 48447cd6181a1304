-- RotateServiceKey links a key and its replacement (both ways, so either key's view names the
-- other without a second query).
ALTER TABLE service_keys ADD COLUMN rotated_from TEXT;
ALTER TABLE service_keys ADD COLUMN rotated_to TEXT;
