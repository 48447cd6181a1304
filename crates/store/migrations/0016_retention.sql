-- Pruning finds old rows by their time (crates/store/src/retention.rs): without these indexes
-- each batch would scan its whole table. The audit log is pruned by its primary key.
CREATE INDEX idempotent_responses_by_time ON idempotent_responses (create_time);
CREATE INDEX service_key_requests_by_time ON service_key_requests (create_time);
CREATE INDEX vxc_requests_by_time ON vxc_requests (create_time);
CREATE INDEX vxc_orders_by_update ON vxc_orders (update_time);
