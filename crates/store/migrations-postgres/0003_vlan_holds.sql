-- As migrations/0014_vlan_holds.sql (read there for why), in PostgreSQL's types.
CREATE TABLE vlan_holds (
    port_uid   TEXT NOT NULL,
    vlan       BIGINT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    key        TEXT UNIQUE,
    PRIMARY KEY (port_uid, vlan)
);

INSERT INTO vlan_holds (port_uid, vlan, request_id, key)
SELECT port_uid, vlan, COALESCE(request_id, 'key:' || key), key FROM service_keys
WHERE single_use = 1 AND vlan IS NOT NULL AND deactivated = 0 AND used_time IS NULL
ON CONFLICT DO NOTHING;
