-- The Megaport request budget every replica behind one egress IP shares (megaport::BudgetLedger):
-- each request sent in the current window, and the pause and cut after a 429. The one row of
-- megaport_budget is also what an update locks (SELECT ... FOR UPDATE).
CREATE TABLE megaport_requests (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sent_ms  BIGINT NOT NULL
);
CREATE INDEX megaport_requests_by_time ON megaport_requests (sent_ms);

CREATE TABLE megaport_budget (
    id               BIGINT PRIMARY KEY CHECK (id = 1),
    paused_until_ms  BIGINT,
    cut_limit        BIGINT,
    cut_until_ms     BIGINT,
    -- When requests before the window were last deleted (once a minute, not on every update).
    pruned_ms        BIGINT NOT NULL DEFAULT 0
);
INSERT INTO megaport_budget (id) VALUES (1);
