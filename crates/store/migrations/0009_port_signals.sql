-- What onramp learnt about Ports beyond Megaport's product records, kept across restarts: the
-- last traffic measurement ('traffic') and the last non-empty diversity zone ('zone') of each
-- Port. value_json is the domain type as JSON (core::signals).
CREATE TABLE port_signals (
    port_uid    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    update_ms   INTEGER NOT NULL,
    PRIMARY KEY (port_uid, kind)
);
