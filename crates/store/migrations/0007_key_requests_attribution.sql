-- A listing that sees a key before its create recorded it in the ledger takes the customer and
-- region from the journal row, which is written before the POST to Megaport. That is what lets
-- a listing attribute a key minted a moment ago without any in-memory registry (and across
-- processes).
ALTER TABLE service_key_requests ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE service_key_requests ADD COLUMN region TEXT NOT NULL DEFAULT '';
CREATE INDEX service_key_requests_pending ON service_key_requests (request_id) WHERE key IS NULL;
