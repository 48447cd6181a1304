//! The exactly-once buy: journal the order, claim it for submit, send the buy once, and record
//! the answer. All of it runs under a per-request_id lock in a task of its own.

use std::sync::Arc;

use tracing::Instrument;

use super::desk::{Counters, OrderDesk, now_millis};
use super::rules::{PortIds, check_spec, failure_of, refusal};
use super::upstream::{UpstreamFailure, VxcBuy};
use super::{Order, OrderSpec, OrderState, OrderUpstream};
use crate::error::{Error, ErrorReason};
use crate::idempotency::{check_request_id, ensure_same_request, fingerprint};
use crate::onramps;

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
        let client = client.for_write();
        let desk = self.clone();
        // The task keeps the caller's span, so the buy's Megaport requests trace under the call.
        let work = async move { desk.create_locked(account, client, spec, request_id).await };
        tokio::spawn(work.in_current_span())
            .await
            .map_err(|error| Error::internal(format!("order task failed: {error}")))?
    }

    async fn create_locked(
        &self,
        account: String,
        client: Arc<dyn OrderUpstream>,
        spec: OrderSpec,
        request_id: String,
    ) -> Result<Order, Error> {
        let _held = self
            .inner
            .locks
            .lock(&format!("order:{request_id}"))
            .await?;
        if let Some(order) = self.store().order_by_request_id(&request_id).await? {
            ensure_same_request(
                &request_id,
                &fingerprint(&(&order.account, &order.spec))?,
                &fingerprint(&(&account, &spec))?,
            )
            .map_err(|reused| reused.with_meta("order_id", &order.order_id))?;
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
            vxc: None,
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

    /// Makes the capacity a buy took count at once: an accepted VXC is laid over the provider's
    /// cached Port (the B-end, the key's), and after an unknown outcome the Ports are read
    /// again. A refused or unsent buy took nothing.
    async fn show_capacity_taken(
        &self,
        order: &Order,
        result: &Result<super::upstream::BuyAccepted, UpstreamFailure>,
    ) {
        let inventory = &self.inner.inventory;
        match result {
            Ok(accepted) => match &accepted.vxc_uid {
                Some(vxc_uid) => {
                    let vxc = onramps::PortVxc {
                        uid: vxc_uid.clone(),
                        name: order.spec.name.clone(),
                        rate_limit_mbps: order.spec.rate_limit_mbps,
                        vlan: Some(accepted.b_end_vlan.unwrap_or(order.b_end_vlan))
                            .filter(|vlan| *vlan > 0),
                        status: onramps::ProvisioningStatus::Deployable,
                        create_time: Some(time::OffsetDateTime::now_utc()),
                    };
                    inventory.bought_vxc(&order.b_end.uid, vxc).await;
                }
                None => inventory.invalidate_ports().await,
            },
            Err(UpstreamFailure::OutcomeUnknown(_)) => inventory.invalidate_ports().await,
            Err(_) => {}
        }
    }

    /// Moves the row to SUBMITTING (compare-and-set, committed), then sends the buy once.
    pub(super) async fn submit(
        &self,
        client: &dyn OrderUpstream,
        mut order: Order,
        a_port: Option<PortIds>,
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
        let buy = VxcBuy {
            spec: &order.spec,
            service_key: &key,
            b_end_port_uid: &order.b_end.uid,
            request_id: Some(order.request_id.as_str()),
        };
        tracing::info!(order_id = %order.order_id, attempt = order.buy_attempts, "sending vxc buy");
        let result = client.buy(buy, self.deadline()).await;
        self.show_capacity_taken(&order, &result).await;
        let counters = &self.inner.counters;
        Counters::bump(match &result {
            Ok(accepted) if accepted.vxc_uid.is_some() => &counters.buys_accepted,
            Ok(_) | Err(UpstreamFailure::OutcomeUnknown(_)) => &counters.buys_outcome_unknown,
            Err(UpstreamFailure::NotSent(_)) => &counters.buys_not_sent,
            Err(_) => &counters.buys_refused,
        });
        match result {
            Ok(accepted) => match accepted.vxc_uid {
                Some(uid) => {
                    order.vxc_uid = Some(uid);
                    order.state = if accepted.awaiting_approval {
                        OrderState::AwaitingApproval
                    } else {
                        OrderState::Deployable
                    };
                    if let Some(vlan) = accepted.a_end_vlan {
                        order.a_end_vlan = vlan;
                    }
                    if let Some(vlan) = accepted.b_end_vlan {
                        order.b_end_vlan = vlan;
                    }
                    order.state_message = "megaport accepted the order".to_owned();
                    self.record_accepted(order).await
                }
                None => {
                    self.outcome_unknown(client, order, "no vxc uid in the answer")
                        .await
                }
            },
            Err(UpstreamFailure::OutcomeUnknown(error)) => {
                tracing::warn!(order_id = %order.order_id, error = %error, "vxc buy outcome unknown");
                self.outcome_unknown(client, order, &error.to_string())
                    .await
            }
            // Provably not sent (refused at the door, throttled, or never connected): nothing
            // happened, so the order goes back to JOURNALED for a retry to send.
            Err(UpstreamFailure::NotSent(error)) => {
                order.state = OrderState::Journaled;
                order.buy_attempts -= 1;
                order.state_message = format!("buy not sent: {}", error.to_string().to_lowercase());
                order.update_time = now_millis();
                self.store()
                    .update_order(&order, &[OrderState::Submitting])
                    .await?;
                Err(error.with_meta("order_id", &order.order_id))
            }
            Err(failure) => {
                let a_port = match a_port {
                    Some(ids) => ids,
                    None => client
                        .port(&order.spec.a_end_port_uid, self.deadline())
                        .await
                        .map(|port| PortIds {
                            uid: port.port.uid,
                            service_id: port.service_id,
                        })
                        .unwrap_or_else(|_| PortIds {
                            uid: order.spec.a_end_port_uid.clone(),
                            service_id: None,
                        }),
                };
                let mapped = refusal(failure, &a_port, &order.b_end.uid, &key);
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
