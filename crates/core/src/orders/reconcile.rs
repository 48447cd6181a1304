//! Reconciliation: after a buy whose answer was lost, look for the VXC stamped with the
//! order's request_id, and adopt it, or (on a later retry, once its absence is proven) buy again.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::desk::{Counters, OrderDesk, apply_vlans, now_millis};
use super::rules::observe;
use super::{Order, OrderState, OrderUpstream, OrderVxc};
use crate::error::{Error, ErrorReason};

impl OrderDesk {
    /// After a buy whose answer was lost: OUTCOME_UNKNOWN, then one reconciliation. Never buys.
    pub(super) async fn outcome_unknown(
        &self,
        client: &dyn OrderUpstream,
        mut order: Order,
        why: &str,
    ) -> Result<Order, Error> {
        order.state = OrderState::OutcomeUnknown;
        order.state_message = format!(
            "megaport's answer was lost ({}); looking for the vxc stamped with the request_id",
            why.to_lowercase()
        );
        order.update_time = now_millis();
        self.store()
            .update_order(&order, &[OrderState::Submitting])
            .await?;
        match self.reconcile(client, &order).await {
            Ok(Some(vxc)) => self.adopt(order, &vxc).await,
            Ok(None) => Err(outcome_unknown_error(&order)),
            Err(error) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "reconciliation failed");
                Err(outcome_unknown_error(&order))
            }
        }
    }

    /// A retry of an order whose outcome is unknown: find the VXC, or, once its absence is proven
    /// and the grace period is over, buy again.
    pub(super) async fn reconcile_then_rebuy(
        &self,
        client: &dyn OrderUpstream,
        mut order: Order,
    ) -> Result<Order, Error> {
        match self.reconcile(client, &order).await {
            Ok(Some(vxc)) => self.adopt(order, &vxc).await,
            Ok(None) => {
                let since = OffsetDateTime::now_utc() - order.update_time;
                if since < self.inner.settings.rebuy_grace {
                    return Err(outcome_unknown_error(&order));
                }
                if order.state == OrderState::Submitting {
                    // A crash (or a lost task) left SUBMITTING behind: record what we know.
                    order.state = OrderState::OutcomeUnknown;
                    order.state_message =
                        "the buy may have been interrupted; no stamped vxc found upstream"
                            .to_owned();
                    order.update_time = now_millis();
                    self.store()
                        .update_order(&order, &[OrderState::Submitting])
                        .await?;
                }
                tracing::info!(order_id = %order.order_id, "no stamped vxc upstream; buying again");
                self.submit(client, order, None).await
            }
            Err(error) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "reconciliation failed");
                Err(outcome_unknown_error(&order))
            }
        }
    }

    /// Looks for the VXC stamped with the order's request_id on the A-end Port, read fresh (not
    /// from a cache). VXCs already recorded by other orders are skipped: each VXC is one order.
    async fn reconcile(
        &self,
        client: &dyn OrderUpstream,
        order: &Order,
    ) -> Result<Option<OrderVxc>, Error> {
        let counters = &self.inner.counters;
        let found = self.look_up(client, order).await;
        Counters::bump(match &found {
            Ok(Some(_)) => &counters.reconciliations_found,
            Ok(None) => &counters.reconciliations_absent,
            Err(_) => &counters.reconciliations_failed,
        });
        found
    }

    async fn look_up(
        &self,
        client: &dyn OrderUpstream,
        order: &Order,
    ) -> Result<Option<OrderVxc>, Error> {
        let deadline = self.deadline();
        let port = client
            .port(&order.spec.a_end_port_uid, deadline)
            .await?
            .port;
        let claimed: HashSet<String> = self.store().claimed_vxc_uids().await?;
        let mut candidates: Vec<_> = port
            .vxcs
            .iter()
            .filter(|vxc| !claimed.contains(&vxc.uid))
            .collect();
        // Newest first: the VXC we look for is the latest one on the Port.
        candidates.sort_by_key(|vxc| std::cmp::Reverse(vxc.create_time));
        let mut found = Vec::new();
        for vxc in candidates {
            let stamp = client.stamped_request_id(&vxc.uid, deadline).await?;
            if stamp.is_some_and(|stamp| stamp.eq_ignore_ascii_case(&order.request_id)) {
                found.push(vxc);
            }
        }
        if found.len() > 1 {
            tracing::error!(
                order_id = %order.order_id,
                count = found.len(),
                "several vxcs carry one request_id; adopting the oldest"
            );
        }
        let Some(oldest) = found.into_iter().min_by_key(|vxc| vxc.create_time) else {
            return Ok(None);
        };
        Ok(Some(client.vxc(&oldest.uid, deadline).await?))
    }

    /// Records the VXC reconciliation found as the order's.
    async fn adopt(&self, mut order: Order, vxc: &OrderVxc) -> Result<Order, Error> {
        tracing::info!(order_id = %order.order_id, vxc_uid = %vxc.uid, "reconciled: the vxc exists");
        order.vxc_uid = Some(vxc.uid.clone());
        order.state = observe(vxc, order.state);
        apply_vlans(&mut order, vxc);
        order.state_message = "reconciled: megaport had accepted the order".to_owned();
        self.record_accepted(order).await
    }
}

fn outcome_unknown_error(order: &Order) -> Error {
    Error::Unavailable {
        reason: ErrorReason::UpstreamOutcomeUnknown,
        message: format!(
            "the outcome of order {} is not known yet; retry with the same request_id or watch the order",
            order.order_id
        ),
        retry_after: None,
    }
    .with_meta("order_id", &order.order_id)
    .with_meta("request_id", &order.request_id)
}
