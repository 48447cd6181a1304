//! `onramp.v1.VxcOrderService`: the customer side — look up a key, price a VXC, buy it once —
//! and the provider's approval. Rules and the exactly-once buy live in `crate::orders`.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{ResponseStream, audit_note, caller, convert};
use crate::auth::Caller;
use crate::error::{Error, ErrorReason, FieldViolation};
use crate::order_followers::OrderFollowers;
use crate::paging;
use crate::peering::PeeringSender;
use crate::watch::WatchHub;
use onramp_core::cursor::unix_millis;
use onramp_core::orders::{
    ApprovalTarget, KeyLookup, Order, OrderDesk, OrderFilter, OrderSpec, OrderState, VxcChange,
    VxcOutcome, VxcSnapshot, order_not_found,
};
use onramp_proto as pb;
use onramp_proto::vxc_order_service_server::VxcOrderService;
use tokio_util::sync::CancellationToken;

/// Longest rejection reason recorded on an order.
const REASON_MAX_CHARS: usize = 500;

/// gRPC adapter for VXC orders.
#[derive(Debug)]
pub struct VxcOrderApi {
    desk: OrderDesk,
    /// Poked after a buy, which uses up a single-use key.
    hub: WatchHub,
    /// Ends open order watches with UNAVAILABLE when the server drains.
    shutdown: CancellationToken,
    /// One Megaport follower per watched order, whatever the number of its streams.
    followers: Arc<OrderFollowers>,
    /// What became of the peering profile of the key an order was bought with.
    peering: Arc<PeeringSender>,
}

impl VxcOrderApi {
    pub fn new(
        desk: OrderDesk,
        followers: Arc<OrderFollowers>,
        hub: WatchHub,
        shutdown: CancellationToken,
        peering: Arc<PeeringSender>,
    ) -> Self {
        Self {
            peering,
            followers,
            desk,
            hub,
            shutdown,
        }
    }

    /// Refuses acting as an account the caller is not bound to; an empty `account` is the
    /// default one. Checked before the desk looks the account up, so a bound caller never
    /// learns which other accounts are configured.
    fn check_account(&self, caller: &Caller, account: &str) -> Result<(), Status> {
        let account = if account.is_empty() {
            self.desk.default_account()
        } else {
            account
        };
        caller
            .binding
            .check_account(&caller.name, account)
            .map_err(crate::error::status)
    }

    /// The VXC after a change made through onramp; the order it moved goes to the order's
    /// watch streams at once.
    fn settle(&self, outcome: VxcOutcome) -> pb::VxcStatus {
        if let Some(order) = outcome.order {
            self.followers.publish(order);
        }
        vxc_status(&outcome.after.uid, &outcome.after.name, &outcome.after.vxc)
    }
}

#[tonic::async_trait]
impl VxcOrderService for VxcOrderApi {
    type WatchVxcOrderStream = ResponseStream<pb::WatchVxcOrderResponse>;

    async fn lookup_service_key(
        &self,
        request: Request<pb::LookupServiceKeyRequest>,
    ) -> Result<Response<pb::LookupServiceKeyResponse>, Status> {
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let lookup = self
            .desk
            .lookup_key(&request.account, &request.key)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::LookupServiceKeyResponse {
            lookup: Some(key_lookup(&lookup)),
        }))
    }

    async fn validate_vxc_order(
        &self,
        request: Request<pb::ValidateVxcOrderRequest>,
    ) -> Result<Response<pb::ValidateVxcOrderResponse>, Status> {
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let spec = spec_from(request.spec).map_err(crate::error::status)?;
        let validated = self
            .desk
            .validate(&request.account, &spec)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::ValidateVxcOrderResponse {
            price: Some(convert::price_quote(&validated.price)),
            a_end: Some(convert::port_summary(&validated.a_end)),
            b_end: Some(convert::port_summary(&validated.b_end)),
            a_end_vlan: validated.a_end_vlan,
            b_end_vlan: validated.b_end_vlan,
            approval_required: validated.approval_required,
        }))
    }

    async fn create_vxc_order(
        &self,
        request: Request<pb::CreateVxcOrderRequest>,
    ) -> Result<Response<pb::CreateVxcOrderResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        note.set_request_id(&request.request_id);
        self.check_account(&caller, &request.account)?;
        let spec = spec_from(request.spec).map_err(crate::error::status)?;
        let order = self
            .desk
            .create(&request.account, spec, request.request_id)
            .await
            .map_err(crate::error::status)?;
        note.set_resource(&order.order_id);
        match &order.vxc_uid {
            Some(vxc_uid) => {
                self.hub
                    .key_used(order.spec.service_key.trim(), vxc_uid)
                    .await
            }
            None => self.hub.poke(),
        }
        Ok(Response::new(pb::CreateVxcOrderResponse {
            order: Some(vxc_order(&order)),
        }))
    }

    async fn get_vxc_order(
        &self,
        request: Request<pb::GetVxcOrderRequest>,
    ) -> Result<Response<pb::GetVxcOrderResponse>, Status> {
        let binding = caller(&request).binding;
        let order_id = request.into_inner().order_id;
        check_order_id(&order_id).map_err(crate::error::status)?;
        // A watched order is as fresh as its account's last listing: no read of its own.
        let order = match self.followers.latest(&order_id) {
            Some(order) => order,
            None => self
                .desk
                .current(&order_id)
                .await
                .map_err(crate::error::status)?,
        };
        if !binding.sees_account(&order.account) {
            return Err(crate::error::status(order_not_found(&order_id)));
        }
        Ok(Response::new(pb::GetVxcOrderResponse {
            order: Some(
                with_peering(&self.peering, &order)
                    .await
                    .map_err(crate::error::status)?,
            ),
        }))
    }

    async fn list_vxc_orders(
        &self,
        request: Request<pb::ListVxcOrdersRequest>,
    ) -> Result<Response<pb::ListVxcOrdersResponse>, Status> {
        let binding = caller(&request).binding;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let size = paging::page_size(request.page_size).map_err(|v| violations.push(v));
        let state = match pb::VxcOrderState::try_from(request.state) {
            Ok(pb::VxcOrderState::Unspecified) => None,
            Ok(state) => Some(state_from(state)),
            Err(_) => {
                violations.push(FieldViolation::new(
                    "state",
                    format!("{} is not a VxcOrderState", request.state),
                ));
                None
            }
        };
        // The request's account, narrowed to the caller's: another's is filtered out, not
        // refused, so a bound caller cannot tell which accounts have orders.
        let requested = (!request.account.is_empty()).then_some(request.account);
        let accounts = match (requested, binding.accounts()) {
            (None, None) => None,
            (Some(account), None) => Some(vec![account]),
            (None, Some(bound)) => Some(bound.iter().cloned().collect()),
            (Some(account), Some(bound)) => Some(
                Some(account)
                    .filter(|account| bound.contains(account))
                    .into_iter()
                    .collect(),
            ),
        };
        let filter = OrderFilter { accounts, state };
        let spelling = format!("orders {filter:?}");
        let after =
            paging::decode_cursor(&request.page_token, &spelling).map_err(|v| violations.push(v));
        let (Ok(size), Ok(after), true) = (size, after, violations.is_empty()) else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        // One extra row tells whether another page exists without a count query.
        let mut page = self
            .desk
            .list(&filter, after.as_ref(), size + 1)
            .await
            .map_err(crate::error::status)?;
        let more = page.len() > size;
        page.truncate(size);
        let next_page_token =
            paging::next_cursor_token(&spelling, &page.iter().collect::<Vec<_>>(), more, |order| {
                (unix_millis(order.create_time), order.order_id.as_str())
            });
        Ok(Response::new(pb::ListVxcOrdersResponse {
            orders: page.iter().map(vxc_order).collect(),
            next_page_token,
        }))
    }

    async fn watch_vxc_order(
        &self,
        request: Request<pb::WatchVxcOrderRequest>,
    ) -> Result<Response<Self::WatchVxcOrderStream>, Status> {
        let binding = caller(&request).binding;
        let order_id = request.into_inner().order_id;
        check_order_id(&order_id).map_err(crate::error::status)?;
        // The stored order, or its follower's latest: a thousand streams opening at once cost
        // Megaport nothing, and the account's loop lists the order at once when it is new.
        let first = match self.followers.latest(&order_id) {
            Some(order) => order,
            None => self
                .desk
                .get(&order_id)
                .await
                .map_err(crate::error::status)?,
        };
        if !binding.sees_account(&first.account) {
            return Err(crate::error::status(order_not_found(&order_id)));
        }
        let (sender, receiver) = mpsc::channel(1);
        let states = self.followers.follow(first);
        tokio::spawn(forward(
            states,
            sender,
            self.shutdown.clone(),
            self.peering.clone(),
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn quote_vxc(
        &self,
        request: Request<pb::QuoteVxcRequest>,
    ) -> Result<Response<pb::QuoteVxcResponse>, Status> {
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let quote = self
            .desk
            .quote(
                &request.account,
                request.location_id,
                &request.port_uid,
                request.rate_limit_mbps,
                request.term_months,
            )
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::QuoteVxcResponse {
            price: Some(convert::price_quote(&quote.price)),
            monthly_rack_rate: quote.monthly_rack_rate,
            on_ramp: Some(convert::port_summary(&quote.on_ramp)),
        }))
    }

    async fn quote_vxc_change(
        &self,
        request: Request<pb::QuoteVxcChangeRequest>,
    ) -> Result<Response<pb::QuoteVxcChangeResponse>, Status> {
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let change = vxc_change(
            &request.vxc_uid,
            request.rate_limit_mbps,
            request.term_months,
            None,
        )
        .map_err(crate::error::status)?;
        let quote = self
            .desk
            .quote_change(&request.account, &request.vxc_uid, change)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::QuoteVxcChangeResponse {
            current: Some(convert::price_quote(&quote.current)),
            changed: Some(convert::price_quote(&quote.changed)),
            rate_limit_mbps: quote.rate_limit_mbps,
            term_months: quote.term_months,
        }))
    }

    async fn change_vxc(
        &self,
        request: Request<pb::ChangeVxcRequest>,
    ) -> Result<Response<pb::ChangeVxcResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        note.set_request_id(&request.request_id);
        note.set_resource(format!("vxcs/{}", request.vxc_uid));
        let change = vxc_change(
            &request.vxc_uid,
            request.rate_limit_mbps,
            request.term_months,
            request.shutdown,
        )
        .and_then(|change| with_request_id(change, &request.request_id))
        .map_err(crate::error::status)?;
        let outcome = self
            .desk
            .change_vxc(
                &request.account,
                &request.vxc_uid,
                change,
                &request.request_id,
            )
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::ChangeVxcResponse {
            vxc: Some(self.settle(outcome)),
        }))
    }

    async fn quote_vxc_cancellation(
        &self,
        request: Request<pb::QuoteVxcCancellationRequest>,
    ) -> Result<Response<pb::QuoteVxcCancellationResponse>, Status> {
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        required_vxc_uid(&request.vxc_uid).map_err(crate::error::status)?;
        let quote = self
            .desk
            .quote_cancellation(&request.account, &request.vxc_uid)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::QuoteVxcCancellationResponse {
            currency: quote.currency,
            total_charge: quote.total_charge,
            remaining_months: quote.remaining_months,
            contract_end_time: quote.contract_end_time.map(convert::timestamp),
        }))
    }

    async fn cancel_vxc(
        &self,
        request: Request<pb::CancelVxcRequest>,
    ) -> Result<Response<pb::CancelVxcResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        note.set_request_id(&request.request_id);
        note.set_resource(format!("vxcs/{}", request.vxc_uid));
        lifecycle_request(&request.vxc_uid, &request.request_id).map_err(crate::error::status)?;
        let outcome = self
            .desk
            .cancel_vxc(
                &request.account,
                &request.vxc_uid,
                request.now,
                &request.request_id,
            )
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::CancelVxcResponse {
            vxc: Some(self.settle(outcome)),
        }))
    }

    async fn uncancel_vxc(
        &self,
        request: Request<pb::UncancelVxcRequest>,
    ) -> Result<Response<pb::UncancelVxcResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        note.set_request_id(&request.request_id);
        note.set_resource(format!("vxcs/{}", request.vxc_uid));
        lifecycle_request(&request.vxc_uid, &request.request_id).map_err(crate::error::status)?;
        let outcome = self
            .desk
            .uncancel_vxc(&request.account, &request.vxc_uid, &request.request_id)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::UncancelVxcResponse {
            vxc: Some(self.settle(outcome)),
        }))
    }

    async fn approve_vxc_order(
        &self,
        request: Request<pb::ApproveVxcOrderRequest>,
    ) -> Result<Response<pb::ApproveVxcOrderResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let target = target(request.target.map(|target| match target {
            pb::approve_vxc_order_request::Target::OrderId(id) => ApprovalTarget::OrderId(id),
            pb::approve_vxc_order_request::Target::VxcUid(uid) => ApprovalTarget::VxcUid(uid),
        }))
        .map_err(crate::error::status)?;
        let order = self
            .desk
            .decide(&request.account, target, true, "")
            .await
            .map_err(crate::error::status)?;
        note.set_resource(decided_resource(&order));
        Ok(Response::new(pb::ApproveVxcOrderResponse {
            order: Some(vxc_order(&order)),
        }))
    }

    async fn reject_vxc_order(
        &self,
        request: Request<pb::RejectVxcOrderRequest>,
    ) -> Result<Response<pb::RejectVxcOrderResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        self.check_account(&caller, &request.account)?;
        let target = target(request.target.map(|target| match target {
            pb::reject_vxc_order_request::Target::OrderId(id) => ApprovalTarget::OrderId(id),
            pb::reject_vxc_order_request::Target::VxcUid(uid) => ApprovalTarget::VxcUid(uid),
        }))
        .map_err(crate::error::status)?;
        if request.reason.chars().count() > REASON_MAX_CHARS {
            return Err(crate::error::status(Error::invalid(
                "reason",
                format!("must be at most {REASON_MAX_CHARS} characters"),
            )));
        }
        let order = self
            .desk
            .decide(&request.account, target, false, request.reason.trim())
            .await
            .map_err(crate::error::status)?;
        note.set_resource(decided_resource(&order));
        Ok(Response::new(pb::RejectVxcOrderResponse {
            order: Some(vxc_order(&order)),
        }))
    }
}

/// What an approval acted on: the order, or the VXC when it was not ordered through onramp.
fn decided_resource(order: &onramp_core::orders::Order) -> &str {
    if order.order_id.is_empty() {
        order.vxc_uid.as_deref().unwrap_or_default()
    } else {
        &order.order_id
    }
}

/// Sends the order, then each change its follower publishes, until it is terminal, the client
/// leaves, or the server shuts down. A slow reader skips to the latest state.
async fn forward(
    mut states: watch::Receiver<Order>,
    sender: mpsc::Sender<Result<pb::WatchVxcOrderResponse, Status>>,
    shutdown: CancellationToken,
    peering: Arc<PeeringSender>,
) {
    let message = async |order: &Order| {
        with_peering(&peering, order)
            .await
            .map(|order| pb::WatchVxcOrderResponse { order: Some(order) })
            .map_err(crate::error::status)
    };
    let mut order = states.borrow_and_update().clone();
    if sender.send(message(&order).await).await.is_err() || order.state.is_terminal() {
        return;
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                let shutting_down = Error::Unavailable {
                    reason: ErrorReason::ShuttingDown,
                    message: "the server is shutting down; reconnect to get the current order"
                        .to_owned(),
                    retry_after: None,
                }
                .with_meta("order_id", &order.order_id);
                let _ = sender.send(Err(crate::error::status(shutting_down))).await;
                return;
            }
            () = sender.closed() => return,
            changed = states.changed() => {
                if changed.is_err() {
                    return; // the follower ended without a terminal state: nothing more comes
                }
            }
        }
        let latest = states.borrow_and_update().clone();
        if latest == order {
            continue;
        }
        order = latest;
        if sender.send(message(&order).await).await.is_err() || order.state.is_terminal() {
            return;
        }
    }
}

fn check_order_id(order_id: &str) -> Result<(), Error> {
    if order_id.is_empty() {
        return Err(Error::invalid(
            "order_id",
            "is required: the order_id CreateVxcOrder returned",
        ));
    }
    Ok(())
}

fn target(target: Option<ApprovalTarget>) -> Result<ApprovalTarget, Error> {
    match target {
        Some(ApprovalTarget::OrderId(id)) if !id.is_empty() => Ok(ApprovalTarget::OrderId(id)),
        Some(ApprovalTarget::VxcUid(uid)) if !uid.is_empty() => Ok(ApprovalTarget::VxcUid(uid)),
        _ => Err(Error::invalid(
            "target",
            "set exactly one of order_id and vxc_uid",
        )),
    }
}

fn spec_from(spec: Option<pb::VxcOrderSpec>) -> Result<OrderSpec, Error> {
    let spec = spec.ok_or_else(|| Error::invalid("spec", "is required"))?;
    Ok(OrderSpec {
        service_key: spec.service_key.trim().to_owned(),
        a_end_port_uid: spec.a_end_port_uid.trim().to_owned(),
        a_end_vlan: spec.a_end_vlan,
        rate_limit_mbps: spec.rate_limit_mbps,
        term_months: spec.term_months,
        name: spec.name,
        cost_centre: spec.cost_centre,
        shutdown: spec.shutdown,
        promo_code: spec.promo_code,
    })
}

fn vxc_order_spec(spec: &OrderSpec) -> pb::VxcOrderSpec {
    pb::VxcOrderSpec {
        service_key: spec.service_key.clone(),
        a_end_port_uid: spec.a_end_port_uid.clone(),
        a_end_vlan: spec.a_end_vlan,
        rate_limit_mbps: spec.rate_limit_mbps,
        term_months: spec.term_months,
        name: spec.name.clone(),
        cost_centre: spec.cost_centre.clone(),
        shutdown: spec.shutdown,
        promo_code: spec.promo_code.clone(),
    }
}

fn key_lookup(lookup: &KeyLookup) -> pb::ServiceKeyLookup {
    pb::ServiceKeyLookup {
        key: lookup.key.clone(),
        on_ramp: Some(convert::port_summary(&lookup.on_ramp)),
        max_speed_mbps: lookup.max_speed_mbps,
        single_use: lookup.single_use,
        pre_approved: lookup.pre_approved,
        valid_from: lookup.valid_from.map(convert::timestamp),
        valid_until: lookup.valid_until.map(convert::timestamp),
        usable: lookup.unusable.is_none(),
        unusable_reason: lookup
            .unusable
            .as_ref()
            .map(|u| u.message.clone())
            .unwrap_or_default(),
        unusable_error_reason: lookup
            .unusable
            .as_ref()
            .map_or(ErrorReason::Unspecified, |u| u.reason)
            .number(),
    }
}

/// `vxc_uid` must name a VXC.
fn required_vxc_uid(vxc_uid: &str) -> Result<(), Error> {
    if vxc_uid.trim().is_empty() {
        return Err(Error::invalid(
            "vxc_uid",
            "is required: the vxc's megaport productUid",
        ));
    }
    Ok(())
}

/// A change as the request asks it: 0 (or unset) keeps the rate, term or shutdown.
fn vxc_change(
    vxc_uid: &str,
    rate_limit_mbps: i64,
    term_months: i32,
    shutdown: Option<bool>,
) -> Result<VxcChange, Error> {
    required_vxc_uid(vxc_uid)?;
    Ok(VxcChange {
        rate_limit_mbps: (rate_limit_mbps != 0).then_some(rate_limit_mbps),
        term_months: (term_months != 0).then_some(term_months),
        shutdown,
    })
}

fn with_request_id(change: VxcChange, request_id: &str) -> Result<VxcChange, Error> {
    match onramp_core::idempotency::check_request_id(request_id) {
        Some(violation) => Err(Error::InvalidArgument(vec![violation])),
        None => Ok(change),
    }
}

fn lifecycle_request(vxc_uid: &str, request_id: &str) -> Result<(), Error> {
    let mut violations = Vec::new();
    if vxc_uid.trim().is_empty() {
        violations.push(FieldViolation::new(
            "vxc_uid",
            "is required: the vxc's megaport productUid",
        ));
    }
    violations.extend(onramp_core::idempotency::check_request_id(request_id));
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

fn vxc_status(uid: &str, name: &str, vxc: &VxcSnapshot) -> pb::VxcStatus {
    pb::VxcStatus {
        vxc_uid: uid.to_owned(),
        name: name.to_owned(),
        provisioning_status: convert::provisioning_status(vxc.status).into(),
        rate_limit_mbps: vxc.rate_limit_mbps,
        term_months: vxc.term_months,
        approval_pending: vxc.pending_approval,
        pending_rate_limit_mbps: vxc.pending_rate_limit_mbps.unwrap_or_default(),
        pending_term_months: vxc.pending_term_months.unwrap_or_default(),
        shutdown: vxc.shutdown,
    }
}

fn vxc_order_state(state: OrderState) -> pb::VxcOrderState {
    match state {
        OrderState::Journaled => pb::VxcOrderState::Journaled,
        OrderState::Submitting => pb::VxcOrderState::Submitting,
        OrderState::OutcomeUnknown => pb::VxcOrderState::OutcomeUnknown,
        OrderState::AwaitingApproval => pb::VxcOrderState::AwaitingApproval,
        OrderState::Deployable => pb::VxcOrderState::Deployable,
        OrderState::Configured => pb::VxcOrderState::Configured,
        OrderState::Live => pb::VxcOrderState::Live,
        OrderState::Rejected => pb::VxcOrderState::Rejected,
        OrderState::Failed => pb::VxcOrderState::Failed,
        OrderState::Cancelled => pb::VxcOrderState::Cancelled,
        OrderState::Expired => pb::VxcOrderState::Expired,
        OrderState::ChangeAwaitingApproval => pb::VxcOrderState::ChangeAwaitingApproval,
        OrderState::Cancelling => pb::VxcOrderState::Cancelling,
        OrderState::Decommissioning => pb::VxcOrderState::Decommissioning,
        OrderState::Decommissioned => pb::VxcOrderState::Decommissioned,
    }
}

fn state_from(state: pb::VxcOrderState) -> OrderState {
    OrderState::ALL
        .into_iter()
        .find(|candidate| vxc_order_state(*candidate) == state)
        .unwrap_or(OrderState::Journaled)
}

/// The order with what became of its key's peering profile (a read of the store, only for an
/// order whose VXC exists).
async fn with_peering(peering: &PeeringSender, order: &Order) -> Result<pb::VxcOrder, Error> {
    let mut converted = vxc_order(order);
    if let Some(vxc_uid) = &order.vxc_uid {
        converted.peering = peering
            .delivery(vxc_uid)
            .await?
            .as_ref()
            .map(convert::delivery);
    }
    Ok(converted)
}

fn vxc_order(order: &Order) -> pb::VxcOrder {
    pb::VxcOrder {
        order_id: order.order_id.clone(),
        request_id: order.request_id.clone(),
        account: order.account.clone(),
        spec: Some(vxc_order_spec(&order.spec)),
        state: vxc_order_state(order.state).into(),
        vxc_uid: order.vxc_uid.clone().unwrap_or_default(),
        a_end: Some(convert::port_summary(&order.a_end)),
        b_end: Some(convert::port_summary(&order.b_end)),
        a_end_vlan: order.a_end_vlan,
        b_end_vlan: order.b_end_vlan,
        price: Some(convert::price_quote(&order.price)),
        awaiting_approval_from: order.awaiting_approval_from().to_owned(),
        create_time: Some(convert::timestamp(order.create_time)),
        update_time: Some(convert::timestamp(order.update_time)),
        state_message: order.state_message.clone(),
        error_reason: order.error_reason.number(),
        vxc: order.vxc.as_ref().map(|vxc| {
            vxc_status(
                order.vxc_uid.as_deref().unwrap_or_default(),
                &order.spec.name,
                vxc,
            )
        }),
        // Filled in by `with_peering`, which reads the store.
        peering: None,
    }
}
