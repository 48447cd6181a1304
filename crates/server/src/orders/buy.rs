//! The exactly-once buy: journal the order, claim it for submit, send the buy once, and record
//! the answer. All of it runs under a per-request_id lock in a task of its own.

use std::sync::{Arc, Weak};

use super::desk::{OrderDesk, now_millis};
use super::rules::{PortIds, check_spec, failure_of, refusal};
use super::{Order, OrderSpec, OrderState, OrderUpstream, REQUEST_ID_TAG};
use crate::error::Error;
use crate::error::ErrorReason;
use megaport::MegaportError;
use megaport::models::{OrderEnd, Product, ResourceTag, VxcOrderConfig, VxcOrderItem};
use onramp_core::idempotency::{check_request_id, ensure_same_request, fingerprint};

impl OrderDesk {
    /// CreateVxcOrder. The work runs in its own task so that the caller hanging up cannot leave
    /// a buy half-recorded.
    pub async fn create(
        &self,
        account: &str,
        spec: OrderSpec,
        request_id: String,
    ) -> Result<Order, Error> {
        let mut violations = check_spec(&spec);
        violations.extend(check_request_id(&request_id));
        let resolved = self.account(account);
        if !violations.is_empty() {
            return Err(Error::InvalidArgument(violations));
        }
        let (account, client) = resolved?;
        let desk = self.clone();
        tokio::spawn(async move { desk.create_locked(account, client, spec, request_id).await })
            .await
            .map_err(|error| Error::internal(format!("order task failed: {error}")))?
    }

    fn lock_for(&self, request_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lock) = locks.get(request_id).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(request_id.to_owned(), Arc::downgrade(&lock));
        lock
    }

    async fn create_locked(
        &self,
        account: String,
        client: Arc<dyn OrderUpstream>,
        spec: OrderSpec,
        request_id: String,
    ) -> Result<Order, Error> {
        let lock = self.lock_for(&request_id);
        let _held = lock.lock().await;
        if let Some(order) = self.store().order_by_request_id(&request_id).await? {
            ensure_same_request(
                &fingerprint(&(&order.account, &order.spec))?,
                &fingerprint(&(&account, &spec))?,
            )
            .map_err(|reused| {
                reused
                    .with_meta("request_id", &request_id)
                    .with_meta("order_id", &order.order_id)
            })?;
            return self.resume(client.as_ref(), order).await;
        }
        let (validated, a_port) = self
            .check_upstream(&account, client.as_ref(), &spec)
            .await?;
        let now = now_millis();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            request_id,
            account,
            spec,
            state: OrderState::Journaled,
            vxc_uid: None,
            a_end: validated.a_end,
            b_end: validated.b_end,
            a_end_vlan: validated.a_end_vlan,
            b_end_vlan: validated.b_end_vlan,
            price: validated.price,
            approver: validated.approver,
            state_message: "journaled; nothing sent to megaport yet".to_owned(),
            error_reason: ErrorReason::Unspecified,
            buy_attempts: 0,
            create_time: now,
            update_time: now,
        };
        if !self.store().insert_order(&order).await? {
            // Another onramp process journaled this request_id first: follow its row.
            let Some(theirs) = self.store().order_by_request_id(&order.request_id).await? else {
                return Err(Error::internal("journal row vanished after a conflict"));
            };
            return self.resume(client.as_ref(), theirs).await;
        }
        tracing::info!(order_id = %order.order_id, request_id = %order.request_id, "vxc order journaled");
        self.submit(client.as_ref(), order, Some(a_port)).await
    }

    /// A replay: the stored order, the stored failure, or the unfinished work of an earlier call.
    async fn resume(&self, client: &dyn OrderUpstream, order: Order) -> Result<Order, Error> {
        match order.state {
            OrderState::Journaled => self.submit(client, order, None).await,
            OrderState::Submitting | OrderState::OutcomeUnknown => {
                self.reconcile_then_rebuy(client, order).await
            }
            OrderState::Failed => Err(order.stored_failure()),
            _ => Ok(order),
        }
    }

    /// Moves the row to SUBMITTING (compare-and-set, committed), then sends the buy once.
    pub(super) async fn submit(
        &self,
        client: &dyn OrderUpstream,
        mut order: Order,
        a_port: Option<Product>,
    ) -> Result<Order, Error> {
        let from = order.state;
        let now = now_millis();
        let claimed = self
            .store()
            .claim_for_submit(&order.order_id, from, now)
            .await?;
        if !claimed {
            return Err(Error::internal(format!(
                "order {} left {} under another writer",
                order.order_id,
                from.as_str()
            )));
        }
        order.state = OrderState::Submitting;
        order.buy_attempts += 1;
        order.update_time = now;
        let key = order.spec.service_key.trim().to_owned();
        let items = order_items(
            &order.spec,
            &key,
            &order.b_end.uid,
            Some(order.request_id.as_str()),
        );
        tracing::info!(order_id = %order.order_id, attempt = order.buy_attempts, "sending vxc buy");
        let result = client.buy_order(&items, self.deadline()).await;
        self.inner.inventory.invalidate_ports().await;
        match result {
            Ok(confirmations) => {
                let confirmation = confirmations.first();
                match confirmation.and_then(|c| c.service_uid()) {
                    Some(uid) => {
                        let awaiting = confirmation.and_then(|c| c.fully_approved) == Some(false);
                        order.vxc_uid = Some(uid.to_owned());
                        order.state = if awaiting {
                            OrderState::AwaitingApproval
                        } else {
                            OrderState::Deployable
                        };
                        if let Some(c) = confirmation {
                            if let Some(vlan) = c.payer_vlan_id.and_then(|v| i32::try_from(v).ok())
                            {
                                order.a_end_vlan = vlan;
                            }
                            if let Some(vlan) =
                                c.non_payer_vlan_id.and_then(|v| i32::try_from(v).ok())
                            {
                                order.b_end_vlan = vlan;
                            }
                        }
                        order.state_message = "megaport accepted the order".to_owned();
                        self.record_accepted(order).await
                    }
                    None => {
                        self.outcome_unknown(client, order, "no vxc uid in the answer")
                            .await
                    }
                }
            }
            Err(
                error @ (MegaportError::OutcomeUnknown(_) | MegaportError::MalformedResponse(_)),
            ) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "vxc buy outcome unknown");
                self.outcome_unknown(client, order, error.message()).await
            }
            // Provably not sent (refused at the door, throttled, or never connected): nothing
            // happened, so the order goes back to JOURNALED for a retry to send.
            Err(
                error @ (MegaportError::Unavailable(_)
                | MegaportError::Timeout(_)
                | MegaportError::RateLimited { .. }
                | MegaportError::Unauthorized(_)),
            ) => {
                order.state = OrderState::Journaled;
                order.buy_attempts -= 1;
                order.state_message = format!("buy not sent: {}", error.message().to_lowercase());
                order.update_time = now_millis();
                self.store()
                    .update_order(&order, &[OrderState::Submitting])
                    .await?;
                Err(crate::error::upstream(error).with_meta("order_id", &order.order_id))
            }
            Err(error) => {
                let a_port = match a_port {
                    Some(port) => PortIds::of(&port),
                    None => client
                        .get_product(&order.spec.a_end_port_uid, self.deadline())
                        .await
                        .map(|port| PortIds::of(&port))
                        .unwrap_or_else(|_| PortIds {
                            uid: order.spec.a_end_port_uid.clone(),
                            n_service_id: None,
                        }),
                };
                let mapped = refusal(error, &a_port, &order.b_end.uid, &key);
                let (reason, message) = failure_of(&mapped);
                order.state = OrderState::Failed;
                order.error_reason = reason;
                order.state_message = message;
                order.update_time = now_millis();
                self.store()
                    .update_order(&order, &[OrderState::Submitting])
                    .await?;
                tracing::info!(order_id = %order.order_id, reason = ?reason, "megaport refused the vxc order");
                Err(mapped.with_meta("order_id", &order.order_id))
            }
        }
    }

    pub(super) async fn record_accepted(&self, mut order: Order) -> Result<Order, Error> {
        order.update_time = now_millis();
        order.error_reason = ErrorReason::Unspecified;
        self.store()
            .update_order(
                &order,
                &[OrderState::Submitting, OrderState::OutcomeUnknown],
            )
            .await?;
        tracing::info!(order_id = %order.order_id, vxc_uid = ?order.vxc_uid, state = order.state.as_str(), "vxc order accepted");
        Ok(order)
    }
}

/// The order as Megaport takes it: the A-end Port, the key, the B-end from the key, and for a buy
/// the request_id as a resource tag.
pub(super) fn order_items(
    spec: &OrderSpec,
    key: &str,
    b_end_uid: &str,
    request_id: Option<&str>,
) -> Vec<VxcOrderItem> {
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    vec![VxcOrderItem {
        product_uid: spec.a_end_port_uid.clone(),
        associated_vxcs: vec![VxcOrderConfig {
            product_name: spec.name.clone(),
            rate_limit: spec.rate_limit_mbps,
            term: i64::from(spec.term_months),
            shutdown: spec.shutdown,
            promo_code: non_empty(&spec.promo_code),
            service_key: Some(key.to_owned()),
            cost_centre: non_empty(&spec.cost_centre),
            resource_tags: request_id
                .map(|id| {
                    vec![ResourceTag {
                        key: REQUEST_ID_TAG.to_owned(),
                        value: id.to_owned(),
                    }]
                })
                .unwrap_or_default(),
            a_end: OrderEnd {
                vlan: (spec.a_end_vlan != 0).then_some(i64::from(spec.a_end_vlan)),
                ..OrderEnd::default()
            },
            b_end: OrderEnd {
                product_uid: non_empty(b_end_uid),
                ..OrderEnd::default()
            },
        }],
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::tests::spec;

    #[test]
    fn buy_items_stamp_the_request_id_and_take_the_b_end_from_the_key() {
        let items = order_items(&spec(), "k", "b-port", Some("r-1"));
        let vxc = &items[0].associated_vxcs[0];
        assert_eq!(
            vxc.resource_tags,
            [ResourceTag {
                key: REQUEST_ID_TAG.into(),
                value: "r-1".into()
            }]
        );
        assert_eq!(vxc.b_end.product_uid.as_deref(), Some("b-port"));
        assert_eq!(vxc.a_end.vlan, None, "0 = let megaport choose");
        assert!(
            order_items(&spec(), "k", "b", None)[0].associated_vxcs[0]
                .resource_tags
                .is_empty()
        );
    }
}
