-- A key's peering profile (MCR interface and BGP session, or MVE vNIC) is kept with the key in
-- the ledger, as JSON; the BGP password is in it, and nowhere else.
ALTER TABLE service_keys ADD COLUMN peering TEXT;

-- What happened to a key's profile on each VXC bought with it: sent before approval, waiting for
-- LIVE after Megaport refused it, sent after LIVE, or failed.
CREATE TABLE peering_deliveries (
    vxc_uid TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    update_time BIGINT NOT NULL
);
CREATE INDEX peering_deliveries_state ON peering_deliveries (state, update_time);
