-- The Megaport request budget every replica behind one egress IP shares (megaport::BudgetLedger):
-- each request sent in the current window, and the pause and cut after a 429. The one row of
-- megaport_budget is also what an update locks.
CREATE TABLE megaport_requests (
    id       INTEGER PRIMARY KEY,
    sent_ms  INTEGER NOT NULL
);
CREATE INDEX megaport_requests_by_time ON megaport_requests (sent_ms);

CREATE TABLE megaport_budget (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    paused_until_ms  INTEGER,
    cut_limit        INTEGER,
    cut_until_ms     INTEGER,
    -- When requests before the window were last deleted (once a minute, not on every update).
    pruned_ms        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO megaport_budget (id) VALUES (1);
