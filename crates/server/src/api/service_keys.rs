//! `onramp.v1.ServiceKeyService`: minting, managing and watching service keys.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use prost::Message;
use tonic::{Request, Response, Status};

use super::catalog::selection_response;
use super::{ResponseStream, audit_note, caller, convert, update_mask, watch_common};
use crate::auth::Caller;
use crate::error::{Error, FieldViolation};
use crate::paging;
use crate::watch::{self, ChangeKind, KeyEvent, KeyReadRevision, WatchHub, WatchItem};
use grpc_plumbing::frames::{frame_message, grpc_frame};
use grpc_plumbing::kept_answers::{Revisions, view_answer};
use onramp_core::binding::Binding;
use onramp_core::idempotency::check_request_id;
use onramp_core::keys::{KeyState, KeyView, VLAN_MAX, VLAN_MIN, check_key};
use onramp_core::service_keys::{
    CreateKey, IssueKeys, KeyChanges, KeyFilter, MAX_ROTATION_GRACE_SECONDS, RotateKey,
    ServiceKeys, key_not_found,
};
use onramp_proto as pb;
use onramp_proto::service_key_service_server::ServiceKeyService;
use tokio_util::sync::CancellationToken;

/// Longest description Megaport keeps, minus room for onramp's request-id stamp.
const MAX_DESCRIPTION: usize = 200;
const MAX_CUSTOMER_REF: usize = 128;
/// The fields UpdateServiceKey accepts in its mask.
const UPDATABLE: [&str; 6] = [
    "description",
    "max_speed_mbps",
    "valid_from",
    "valid_until",
    "active",
    "pre_approved",
];

/// The reads whose answers from the key watcher's views are kept per read revision (see
/// `kept_answers`); an answer asked of Megaport (before the first poll, or a key the views do
/// not hold) is not.
pub const KEPT_READS: &[&str] = &[
    "/onramp.v1.ServiceKeyService/GetServiceKey",
    "/onramp.v1.ServiceKeyService/ListServiceKeys",
];

impl Revisions for WatchHub {
    type Revision = KeyReadRevision;

    async fn revision(&self) -> Option<KeyReadRevision> {
        self.read_revision()
    }
}

/// gRPC adapter for service keys.
#[derive(Debug, Clone)]
pub struct ServiceKeyApi {
    keys: Arc<ServiceKeys>,
    hub: WatchHub,
    /// Ends open watch streams with UNAVAILABLE when the server drains.
    shutdown: CancellationToken,
}

impl ServiceKeyApi {
    pub fn new(keys: Arc<ServiceKeys>, hub: WatchHub, shutdown: CancellationToken) -> Self {
        Self {
            keys,
            hub,
            shutdown,
        }
    }
}

#[tonic::async_trait]
impl ServiceKeyService for ServiceKeyApi {
    type WatchServiceKeysStream = ResponseStream<pb::WatchServiceKeysResponse>;

    async fn create_service_key(
        &self,
        request: Request<pb::CreateServiceKeyRequest>,
    ) -> Result<Response<pb::CreateServiceKeyResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        note.set_request_id(&request.request_id);
        note.set_resource(&request.port_uid);
        let create = validate_create(request).map_err(crate::error::status)?;
        caller
            .binding
            .check_customer(&caller.name, &create.customer_ref)
            .map_err(crate::error::status)?;
        let view = self
            .keys
            .create(create)
            .await
            .map_err(crate::error::status)?;
        note.set_resource(&view.key);
        self.hub.wrote(std::slice::from_ref(&view));
        Ok(Response::new(pb::CreateServiceKeyResponse {
            service_key: Some(service_key(&view)),
        }))
    }

    async fn issue_service_keys(
        &self,
        request: Request<pb::IssueServiceKeysRequest>,
    ) -> Result<Response<pb::IssueServiceKeysResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        note.set_request_id(&request.request_id);
        note.set_resource(&request.region);
        let issue = validate_issue(request).map_err(crate::error::status)?;
        caller
            .binding
            .check_customer(&caller.name, &issue.customer_ref)
            .map_err(crate::error::status)?;
        let (views, selection) = self.keys.issue(issue).await.map_err(crate::error::status)?;
        self.hub.wrote(&views);
        let response = pb::IssueServiceKeysResponse {
            service_keys: views.iter().map(service_key).collect(),
            selection: Some(selection_response(&selection)),
        };
        Ok(Response::new(response))
    }

    async fn get_service_key(
        &self,
        request: Request<pb::GetServiceKeyRequest>,
    ) -> Result<Response<pb::GetServiceKeyResponse>, Status> {
        let binding = caller(&request).binding;
        let key = validate_key("key", &request.into_inner().key).map_err(crate::error::status)?;
        if let Some(answer) = self.hub.key(&key, service_key) {
            if !binding.sees_customer(&answer.customer_ref) {
                return Err(crate::error::status(key_not_found(&key)));
            }
            return Ok(view_answer(pb::GetServiceKeyResponse {
                service_key: Some(answer),
            }));
        }
        // Not polled yet, or a key made outside onramp since the last poll.
        let view = self.keys.get(&key).await.map_err(crate::error::status)?;
        if !binding.sees_customer(&view.customer_ref) {
            return Err(crate::error::status(key_not_found(&key)));
        }
        Ok(Response::new(pb::GetServiceKeyResponse {
            service_key: Some(service_key(&view)),
        }))
    }

    async fn list_service_keys(
        &self,
        request: Request<pb::ListServiceKeysRequest>,
    ) -> Result<Response<pb::ListServiceKeysResponse>, Status> {
        let binding = caller(&request).binding;
        let request = request.into_inner();
        let state = key_state_from(request.state());
        let filter = KeyFilter {
            port_uid: non_empty(request.port_uid),
            state,
            customer_ref: non_empty(request.customer_ref),
            region: non_empty(request.region),
            binding,
        };
        let spelling = watch::key_filter_spelling(&filter);
        let size = paging::page_size(request.page_size);
        let after = paging::decode_cursor(&request.page_token, &spelling);
        let (size, after) = match (size, after) {
            (Ok(size), Ok(after)) => (size, after),
            (size, after) => {
                let violations = [size.err(), after.err()].into_iter().flatten().collect();
                return Err(crate::error::status(Error::InvalidArgument(violations)));
            }
        };
        if let Some((page, next_page_token)) =
            self.hub.page(&filter, after.as_ref(), size, service_key)
        {
            return Ok(view_answer(pb::ListServiceKeysResponse {
                next_page_token,
                service_keys: page,
                skipped_upstream_records: self.hub.skipped_upstream_records(),
            }));
        }
        // Before the first poll: ask Megaport.
        let mut listed = self
            .keys
            .list(&filter)
            .await
            .map_err(crate::error::status)?;
        listed.items.sort_by(KeyView::newest_first);
        let (page, next_page_token) = paging::newest_first_page(
            &listed.items,
            &spelling,
            after.as_ref(),
            size,
            watch::key_position,
        );
        Ok(Response::new(pb::ListServiceKeysResponse {
            service_keys: page.into_iter().map(service_key).collect(),
            next_page_token,
            skipped_upstream_records: listed.skipped_upstream_records,
        }))
    }

    async fn update_service_key(
        &self,
        request: Request<pb::UpdateServiceKeyRequest>,
    ) -> Result<Response<pb::UpdateServiceKeyResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let request = request.into_inner();
        let (key, changes) = validate_update(request).map_err(crate::error::status)?;
        note.set_resource(&key);
        self.ensure_visible(&caller, &key).await?;
        let view = self
            .keys
            .update(&key, changes)
            .await
            .map_err(crate::error::status)?;
        self.hub.wrote(std::slice::from_ref(&view));
        Ok(Response::new(pb::UpdateServiceKeyResponse {
            service_key: Some(service_key(&view)),
        }))
    }

    async fn deactivate_service_key(
        &self,
        request: Request<pb::DeactivateServiceKeyRequest>,
    ) -> Result<Response<pb::DeactivateServiceKeyResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let key = validate_key("key", &request.into_inner().key).map_err(crate::error::status)?;
        note.set_resource(&key);
        self.ensure_visible(&caller, &key).await?;
        let view = self
            .keys
            .deactivate(&key)
            .await
            .map_err(crate::error::status)?;
        self.hub.wrote(std::slice::from_ref(&view));
        Ok(Response::new(pb::DeactivateServiceKeyResponse {
            service_key: Some(service_key(&view)),
        }))
    }

    async fn rotate_service_key(
        &self,
        request: Request<pb::RotateServiceKeyRequest>,
    ) -> Result<Response<pb::RotateServiceKeyResponse>, Status> {
        let note = audit_note(&request);
        let caller = caller(&request);
        let rotate = validate_rotate(request.into_inner()).map_err(crate::error::status)?;
        note.set_resource(&rotate.key);
        self.ensure_visible(&caller, &rotate.key).await?;
        let rotation = self
            .keys
            .rotate(rotate)
            .await
            .map_err(crate::error::status)?;
        self.hub
            .wrote(&[rotation.new.clone(), rotation.old.clone()]);
        Ok(Response::new(pb::RotateServiceKeyResponse {
            old_service_key: Some(service_key(&rotation.old)),
            new_service_key: Some(service_key(&rotation.new)),
            old_key_valid_until: Some(convert::timestamp(rotation.old_valid_until)),
        }))
    }

    /// Served by [`super::watch_route`], which sends the framed messages as they are; this
    /// decodes them again for a ServiceKeyServiceServer mounted without that route.
    async fn watch_service_keys(
        &self,
        request: Request<pb::WatchServiceKeysRequest>,
    ) -> Result<Response<Self::WatchServiceKeysStream>, Status> {
        let binding = caller(&request).binding;
        let encoded = self.watch_encoded(request.into_inner(), binding).await?;
        let decoded = encoded.map(|message| {
            message.and_then(|bytes| {
                pb::WatchServiceKeysResponse::decode(frame_message(&bytes))
                    .map_err(|error| Status::internal(format!("watch message: {error}")))
            })
        });
        Ok(Response::new(Box::pin(decoded)))
    }
}

impl ServiceKeyApi {
    /// NOT_FOUND for a key the caller may not see (another customer's), as for one that does
    /// not exist. An unbound caller costs nothing; a bound one reads the view, or Megaport for a
    /// key the view does not hold.
    async fn ensure_visible(&self, caller: &Caller, key: &str) -> Result<(), Status> {
        if caller.binding.is_unbound() {
            return Ok(());
        }
        let customer_ref = match self.hub.key(key, |view| view.customer_ref.clone()) {
            Some(customer_ref) => customer_ref,
            None => {
                let view = self.keys.get(key).await.map_err(crate::error::status)?;
                view.customer_ref
            }
        };
        if caller.binding.sees_customer(&customer_ref) {
            Ok(())
        } else {
            Err(crate::error::status(key_not_found(key)))
        }
    }

    /// WatchServiceKeys' messages as gRPC frames: a batch the stream takes whole is framed once
    /// for every stream that does (see [`watch::Batch::encoded`]).
    pub(crate) async fn watch_encoded(
        &self,
        request: pb::WatchServiceKeysRequest,
        binding: Arc<Binding>,
    ) -> Result<ResponseStream<Bytes>, Status> {
        let filter = KeyFilter {
            port_uid: non_empty(request.port_uid),
            customer_ref: non_empty(request.customer_ref),
            binding,
            ..KeyFilter::default()
        };
        let hub = self.hub.clone();
        let instance = hub.instance_id().to_owned();
        let stream = watch::watch(
            hub.clone(),
            filter,
            &request.resume_token,
            self.shutdown.clone(),
        )
        .await
        .map_err(crate::error::status)?;
        let chunk_keys = hub.settings().snapshot_chunk_keys;
        let mut last_revision = hub.revision();
        let stream = stream.flat_map(move |item| {
            let messages = match item {
                Ok(item) => {
                    last_revision = item.revision();
                    encoded_responses(&instance, item, chunk_keys)
                        .into_iter()
                        .map(Ok)
                        .collect()
                }
                Err(end) => vec![Err(watch_common::watch_end(&instance, end, last_revision))],
            };
            futures::stream::iter(messages)
        });
        Ok(Box::pin(stream))
    }
}

fn validate_create(request: pb::CreateServiceKeyRequest) -> Result<CreateKey, Error> {
    let mut violations = Vec::new();
    let request_id = required_request_id(&request.request_id, &mut violations);
    if request.port_uid.trim().is_empty() {
        violations.push(FieldViolation::new("port_uid", "is required"));
    }
    match (request.single_use, request.vlan) {
        (false, Some(_)) => violations.push(FieldViolation::new(
            "vlan",
            "must be unset for a multi-use key (megaport assigns one per vxc)",
        )),
        (true, Some(vlan)) if !(VLAN_MIN..=VLAN_MAX).contains(&vlan) => {
            violations.push(FieldViolation::new(
                "vlan",
                format!("must be between {VLAN_MIN} and {VLAN_MAX}, got {vlan}"),
            ));
        }
        _ => {}
    }
    if request.max_speed_mbps < 0 {
        violations.push(FieldViolation::new(
            "max_speed_mbps",
            format!(
                "must be 0 (the port's limit) or more, got {}",
                request.max_speed_mbps
            ),
        ));
    }
    check_texts(&request.description, &request.customer_ref, &mut violations);
    let (valid_from, valid_until) = window(
        request.valid_from.as_ref(),
        request.valid_until.as_ref(),
        &mut violations,
    );
    let peering = convert::peering_from(request.peering, &mut violations);
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok(CreateKey {
        peering,
        port_uid: request.port_uid,
        single_use: request.single_use,
        vlan: request.vlan,
        max_speed_mbps: request.max_speed_mbps,
        pre_approved: request.pre_approved,
        description: request.description,
        valid_from,
        valid_until,
        active: request.active.unwrap_or(true),
        customer_ref: request.customer_ref,
        region: String::new(),
        request_id,
        avoid_vlans: Vec::new(),
        rotated_from: None,
    })
}

fn validate_rotate(request: pb::RotateServiceKeyRequest) -> Result<RotateKey, Error> {
    let mut violations = Vec::new();
    let request_id = required_request_id(&request.request_id, &mut violations);
    violations.extend(check_key("key", &request.key));
    let grace_seconds = match request.grace_period {
        None => 0,
        Some(grace)
            if grace.nanos != 0 || !(0..=MAX_ROTATION_GRACE_SECONDS).contains(&grace.seconds) =>
        {
            violations.push(FieldViolation::new(
                "grace_period",
                format!(
                    "must be whole seconds from 0 to {MAX_ROTATION_GRACE_SECONDS} (7 days), got {}s {}ns",
                    grace.seconds, grace.nanos
                ),
            ));
            0
        }
        Some(grace) => grace.seconds,
    };
    let vlan = match request.vlan {
        0 => None,
        vlan if (VLAN_MIN..=VLAN_MAX).contains(&vlan) => Some(vlan),
        vlan => {
            violations.push(FieldViolation::new(
                "vlan",
                format!("must be 0 (a fresh one) or from {VLAN_MIN} to {VLAN_MAX}, got {vlan}"),
            ));
            None
        }
    };
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok(RotateKey {
        key: request.key.trim().to_owned(),
        grace_seconds,
        vlan,
        request_id,
    })
}

fn validate_issue(request: pb::IssueServiceKeysRequest) -> Result<IssueKeys, Error> {
    use pb::issue_service_keys_request::Customer;
    let mut violations = Vec::new();
    let request_id = required_request_id(&request.request_id, &mut violations);
    if request.region.trim().is_empty() {
        violations.push(FieldViolation::new("region", "is required"));
    }
    if request.max_speed_mbps < 1 {
        violations.push(FieldViolation::new(
            "max_speed_mbps",
            format!("must be at least 1, got {}", request.max_speed_mbps),
        ));
    }
    check_texts(&request.description, &request.customer_ref, &mut violations);
    let (valid_from, valid_until) = window(
        request.valid_from.as_ref(),
        request.valid_until.as_ref(),
        &mut violations,
    );
    let (location_id, port_uid) = match &request.customer {
        Some(Customer::CustomerLocationId(id)) => (Some(*id), None),
        Some(Customer::CustomerPortUid(uid)) => (None, Some(uid.clone())),
        None => (None, None),
    };
    let near = convert::near_from(location_id, port_uid, &mut violations);
    let complement_of = convert::complement_from(&request.complement_of, &mut violations);
    let kinds = convert::kinds_from(&request.kinds, "kinds", &mut violations);
    let peering = convert::peering_from(request.peering.clone(), &mut violations);
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok(IssueKeys {
        kinds,
        peering,
        near,
        proximity: convert::proximity_from(request.proximity()),
        complement_of,
        diversity: convert::diversity_from(request.diversity()),
        region: request.region,
        max_speed_mbps: request.max_speed_mbps,
        single_use: request.single_use,
        pre_approved: request.pre_approved,
        customer_ref: request.customer_ref,
        valid_from,
        valid_until,
        description: request.description,
        request_id,
    })
}

fn validate_update(request: pb::UpdateServiceKeyRequest) -> Result<(String, KeyChanges), Error> {
    let key = request
        .service_key
        .ok_or_else(|| Error::invalid("service_key", "is required"))?;
    let mut violations = Vec::new();
    let paths = update_mask::checked_paths(request.update_mask, &UPDATABLE, &mut violations);
    violations.extend(check_key("service_key.key", &key.key));
    let has = |name: &str| paths.iter().any(|path| path == name);
    if has("max_speed_mbps") && key.max_speed_mbps < 0 {
        violations.push(FieldViolation::new(
            "service_key.max_speed_mbps",
            "must be 0 (the port's limit) or more",
        ));
    }
    check_texts(&key.description, "", &mut violations);
    let mut time_violations = Vec::new();
    let (valid_from, valid_until) = window(
        key.valid_from.as_ref(),
        key.valid_until.as_ref(),
        &mut time_violations,
    );
    violations.extend(time_violations.into_iter().map(|violation| FieldViolation {
        field: format!("service_key.{}", violation.field),
        ..violation
    }));
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok((
        key.key.clone(),
        KeyChanges {
            description: has("description").then(|| key.description.clone()),
            max_speed_mbps: has("max_speed_mbps").then_some(key.max_speed_mbps),
            valid_from: has("valid_from").then_some(valid_from),
            valid_until: has("valid_until").then_some(valid_until),
            active: has("active").then_some(key.active),
            pre_approved: has("pre_approved").then_some(key.pre_approved),
        },
    ))
}

fn required_request_id(request_id: &str, violations: &mut Vec<FieldViolation>) -> String {
    violations.extend(check_request_id(request_id));
    request_id.to_owned()
}

fn validate_key(field: &str, key: &str) -> Result<String, Error> {
    match check_key(field, key) {
        Some(violation) => Err(Error::InvalidArgument(vec![violation])),
        None => Ok(key.trim().to_owned()),
    }
}

fn check_texts(description: &str, customer_ref: &str, violations: &mut Vec<FieldViolation>) {
    if description.chars().count() > MAX_DESCRIPTION {
        violations.push(FieldViolation::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    if customer_ref.chars().count() > MAX_CUSTOMER_REF {
        violations.push(FieldViolation::new(
            "customer_ref",
            format!("must be at most {MAX_CUSTOMER_REF} characters"),
        ));
    }
}

type Window = (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>);

fn window(
    from: Option<&prost_types::Timestamp>,
    until: Option<&prost_types::Timestamp>,
    violations: &mut Vec<FieldViolation>,
) -> Window {
    let mut parse = |field: &str, timestamp: Option<&prost_types::Timestamp>| {
        let timestamp = timestamp?;
        let parsed = convert::time_from(timestamp);
        if parsed.is_none() {
            violations.push(FieldViolation::new(field, "is not a valid timestamp"));
        }
        parsed
    };
    let valid_from = parse("valid_from", from);
    let valid_until = parse("valid_until", until);
    if let (Some(start), Some(end)) = (valid_from, valid_until)
        && end <= start
    {
        violations.push(FieldViolation::new(
            "valid_until",
            "must be after valid_from",
        ));
    }
    (valid_from, valid_until)
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn key_state_from(state: pb::ServiceKeyState) -> Option<KeyState> {
    match state {
        pb::ServiceKeyState::Unspecified => None,
        pb::ServiceKeyState::Pending => Some(KeyState::Pending),
        pb::ServiceKeyState::Active => Some(KeyState::Active),
        pb::ServiceKeyState::Inactive => Some(KeyState::Inactive),
        pb::ServiceKeyState::Expired => Some(KeyState::Expired),
        pb::ServiceKeyState::Used => Some(KeyState::Used),
    }
}

fn key_state(state: KeyState) -> pb::ServiceKeyState {
    match state {
        KeyState::Pending => pb::ServiceKeyState::Pending,
        KeyState::Active => pb::ServiceKeyState::Active,
        KeyState::Inactive => pb::ServiceKeyState::Inactive,
        KeyState::Expired => pb::ServiceKeyState::Expired,
        KeyState::Used => pb::ServiceKeyState::Used,
    }
}

pub(crate) fn service_key(view: &KeyView) -> pb::ServiceKey {
    pb::ServiceKey {
        key: view.key.clone(),
        on_ramp: Some(convert::port_summary(&view.port)),
        single_use: view.single_use,
        vlan: view.vlan,
        max_speed_mbps: view.max_speed_mbps,
        pre_approved: view.pre_approved,
        active: view.active,
        description: view.description.clone(),
        valid_from: view.valid_from.map(convert::timestamp),
        valid_until: view.valid_until.map(convert::timestamp),
        state: key_state(view.state).into(),
        customer_ref: view.customer_ref.clone(),
        region: view.region.clone(),
        request_id: view.request_id.clone(),
        create_time: view.create_time.map(convert::timestamp),
        last_used_time: view.last_used_time.map(convert::timestamp),
        vxc_uid: view.vxc_uid.clone(),
        on_ramp_notices: view.on_ramp_notices.iter().map(convert::notice).collect(),
        rotated_from: view.rotated_from.clone(),
        rotated_to: view.rotated_to.clone(),
        peering: view.peering.as_ref().map(convert::peering),
    }
}

fn event(event: &KeyEvent) -> pb::ServiceKeyEvent {
    let kind = match event.kind {
        ChangeKind::Added => pb::ServiceKeyEventType::Added,
        ChangeKind::Updated => pb::ServiceKeyEventType::Updated,
        ChangeKind::StateChanged => pb::ServiceKeyEventType::StateChanged,
        ChangeKind::Removed => pb::ServiceKeyEventType::Removed,
        ChangeKind::OnRampNotice => pb::ServiceKeyEventType::OnRampNotice,
        ChangeKind::Rotated => pb::ServiceKeyEventType::Rotated,
    };
    pb::ServiceKeyEvent {
        r#type: kind.into(),
        service_key: Some(service_key(&event.key)),
        previous_state: event
            .previous_state
            .map_or(pb::ServiceKeyState::Unspecified, key_state)
            .into(),
        observe_time: Some(convert::timestamp(event.observe_time)),
    }
}

/// `item`'s messages as gRPC frames; a batch once, whichever of its streams sends it first.
fn encoded_responses(instance: &str, item: WatchItem, chunk_keys: usize) -> Vec<Bytes> {
    let encode = |message: &pb::WatchServiceKeysResponse| grpc_frame(message);
    if let WatchItem::Changes(batch) = &item {
        let batch = Arc::clone(batch);
        let encoded = batch.encoded.get_or_init(|| {
            watch_responses(instance, item, chunk_keys)
                .first()
                .map(encode)
                .unwrap_or_default()
        });
        return vec![encoded.clone()];
    }
    watch_responses(instance, item, chunk_keys)
        .iter()
        .map(encode)
        .collect()
}

/// The messages for one watch item: one, or a snapshot in chunks of at most `chunk_keys` keys.
/// Only the last chunk carries the resume token (a client that drops mid-snapshot starts over).
fn watch_responses(
    instance: &str,
    item: WatchItem,
    chunk_keys: usize,
) -> Vec<pb::WatchServiceKeysResponse> {
    use pb::watch_service_keys_response::Kind;
    let revision = item.revision();
    let message = |kind: Kind, resume_token: String| pb::WatchServiceKeysResponse {
        revision,
        resume_token,
        kind: Some(kind),
    };
    let token = || revision_fanout::token::encode(instance, revision);
    match item {
        WatchItem::Snapshot { keys, resync, .. } => {
            let chunks: Vec<&[KeyView]> = if keys.is_empty() {
                vec![&[]]
            } else {
                keys.chunks(chunk_keys.max(1)).collect()
            };
            let last = chunks.len() - 1;
            chunks
                .into_iter()
                .enumerate()
                .map(|(index, chunk)| {
                    let snapshot = snapshot_chunk(chunk, index == last, resync);
                    let resume_token = if index == last {
                        token()
                    } else {
                        String::new()
                    };
                    message(Kind::Snapshot(snapshot), resume_token)
                })
                .collect()
        }
        WatchItem::Changes(batch) => vec![message(
            Kind::Changes(pb::ServiceKeyChangeBatch {
                events: batch.events.iter().map(event).collect(),
            }),
            token(),
        )],
        WatchItem::Progress { health, .. } => {
            vec![message(
                Kind::Progress(watch_common::progress(health)),
                token(),
            )]
        }
    }
}

fn snapshot_chunk(
    keys: &[KeyView],
    last_chunk: bool,
    resync: Option<watch::Resync>,
) -> pb::ServiceKeySnapshot {
    let resync = watch_common::Resynced::from(resync);
    pb::ServiceKeySnapshot {
        service_keys: keys.iter().map(service_key).collect(),
        last_chunk,
        resync: resync.resync,
        resync_reason: resync.reason.into(),
        resync_message: resync.message,
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn a_batch_is_framed_once_for_all_its_streams_and_decodes_to_its_changes() {
        let mut key = crate::watch::events::tests::view("key-1", KeyState::Active);
        key.customer_ref = "acme".to_owned();
        let batch = Arc::new(watch::Batch::new(
            7,
            vec![KeyEvent {
                kind: ChangeKind::Added,
                key,
                previous_state: None,
                observe_time: time::OffsetDateTime::now_utc(),
            }],
        ));
        let send = || encoded_responses("instance", WatchItem::Changes(batch.clone()), 100);
        let (first, second) = (send(), send());
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].as_ptr(), second[0].as_ptr(), "the same bytes");
        let message =
            pb::WatchServiceKeysResponse::decode(frame_message(&first[0])).expect("decodes");
        assert_eq!(message.revision, 7);
        assert_eq!(
            message.resume_token,
            revision_fanout::token::encode("instance", 7)
        );
        let Some(pb::watch_service_keys_response::Kind::Changes(changes)) = message.kind else {
            panic!("changes expected");
        };
        let key = changes.events[0].service_key.as_ref().expect("key");
        assert_eq!(
            (key.key.as_str(), key.customer_ref.as_str()),
            ("key-1", "acme")
        );
    }

    /// The proto's comment on every key description field states the limit this file enforces.
    #[test]
    fn the_documented_description_limit_is_the_enforced_one() {
        let descriptors =
            prost_types::FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).expect("descriptors");
        let promise = format!("up to {MAX_DESCRIPTION} characters");
        let mut checked = Vec::new();
        for file in descriptors
            .file
            .iter()
            .filter(|file| file.package() == "onramp.v1")
        {
            let info = file.source_code_info.as_ref().expect("source info kept");
            for (message_index, message) in file.message_type.iter().enumerate() {
                if ![
                    "ServiceKey",
                    "CreateServiceKeyRequest",
                    "IssueServiceKeysRequest",
                ]
                .contains(&message.name())
                {
                    continue;
                }
                let Some(field_index) = message
                    .field
                    .iter()
                    .position(|field| field.name() == "description")
                else {
                    continue;
                };
                // Path: message_type (4), index, field (2), index.
                let path = [4, message_index as i32, 2, field_index as i32];
                let comment = info
                    .location
                    .iter()
                    .find(|location| location.path == path)
                    .map(|location| location.leading_comments().to_owned())
                    .unwrap_or_default();
                assert!(
                    comment.contains(&promise),
                    "{}.description says {comment:?}, want {promise:?}",
                    message.name()
                );
                checked.push(message.name().to_owned());
            }
        }
        checked.sort();
        assert_eq!(
            checked,
            [
                "CreateServiceKeyRequest",
                "IssueServiceKeysRequest",
                "ServiceKey"
            ]
        );
    }

    #[test]
    fn a_description_over_the_limit_is_refused_naming_the_limit() {
        let mut violations = Vec::new();
        check_texts(&"x".repeat(MAX_DESCRIPTION), "", &mut violations);
        assert!(violations.is_empty(), "{violations:?}");
        check_texts(&"x".repeat(MAX_DESCRIPTION + 1), "", &mut violations);
        assert_eq!(violations[0].field, "description");
        assert!(violations[0].description.contains("200"), "{violations:?}");
    }
}
