-- The audit log: one row per mutating call, whatever its outcome, appended after the call ends.
-- `seq` orders records (newest first = highest seq) and is the paging cursor.
CREATE TABLE audit_records (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    audit_id   TEXT    NOT NULL UNIQUE,
    time_ms    INTEGER NOT NULL,   -- when the call finished, Unix milliseconds UTC
    caller     TEXT    NOT NULL,
    rpc        TEXT    NOT NULL,   -- full method name, e.g. /onramp.v1.RegionService/CreateRegion
    request_id TEXT    NOT NULL DEFAULT '',
    resource   TEXT    NOT NULL DEFAULT '',
    code       INTEGER NOT NULL,   -- google.rpc.Code number
    reason     INTEGER NOT NULL    -- onramp.v1.ErrorReason number; 0 on success
);
CREATE INDEX audit_records_by_caller ON audit_records (caller, seq);
CREATE INDEX audit_records_by_rpc ON audit_records (rpc, seq);
