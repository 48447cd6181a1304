-- The VLAN each single-use key holds on its Port, from the moment onramp chooses it (before the
-- create is sent to Megaport) until the key is used or deactivated, or its create is abandoned.
-- The primary key is what keeps two replicas from handing out one VLAN on one Port, whatever
-- their clocks or leases say: the second hold of a (Port, VLAN) fails.
CREATE TABLE vlan_holds (
    port_uid   TEXT NOT NULL,
    vlan       INTEGER NOT NULL,
    -- The create that chose it; a key held before this table existed is named by its key.
    request_id TEXT NOT NULL UNIQUE,
    -- Set once Megaport has minted the key.
    key        TEXT UNIQUE,
    PRIMARY KEY (port_uid, vlan)
);

INSERT INTO vlan_holds (port_uid, vlan, request_id, key)
SELECT port_uid, vlan, COALESCE(request_id, 'key:' || key), key FROM service_keys
WHERE single_use = 1 AND vlan IS NOT NULL AND deactivated = 0 AND used_time IS NULL
ON CONFLICT DO NOTHING;
