-- The VXC order journal: one row per CreateVxcOrder request_id, written BEFORE the buy is sent to
-- Megaport so that a lost answer or a crash can be reconciled instead of buying twice.
--
-- state is the VxcOrderState name without prefix (JOURNALED, SUBMITTING, OUTCOME_UNKNOWN,
-- AWAITING_APPROVAL, DEPLOYABLE, CONFIGURED, LIVE, REJECTED, FAILED, CANCELLED). Transitions out of
-- JOURNALED / OUTCOME_UNKNOWN into SUBMITTING are compare-and-set updates, so two writers can never
-- both send a buy for one row. spec_json, a_end_json, b_end_json and price_json are read and
-- written whole. buy_attempts counts buy POSTs that may have reached Megaport.
CREATE TABLE vxc_orders (
    order_id               TEXT PRIMARY KEY NOT NULL,
    request_id             TEXT NOT NULL UNIQUE,
    account                TEXT NOT NULL,
    spec_json              TEXT NOT NULL,
    state                  TEXT NOT NULL,
    vxc_uid                TEXT UNIQUE,
    a_end_json             TEXT NOT NULL,
    b_end_json             TEXT NOT NULL,
    a_end_vlan             INTEGER NOT NULL DEFAULT 0,
    b_end_vlan             INTEGER NOT NULL DEFAULT 0,
    price_json             TEXT NOT NULL,
    approver               TEXT NOT NULL DEFAULT '',
    awaiting_approval_from TEXT NOT NULL DEFAULT '',
    state_message          TEXT NOT NULL DEFAULT '',
    error_reason           INTEGER NOT NULL DEFAULT 0,
    buy_attempts           INTEGER NOT NULL DEFAULT 0,
    create_time            INTEGER NOT NULL, -- unix milliseconds
    update_time            INTEGER NOT NULL
);
CREATE INDEX vxc_orders_newest ON vxc_orders (create_time DESC, order_id);
