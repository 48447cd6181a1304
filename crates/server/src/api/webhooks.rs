//! `onramp.v1.WebhookService`: the endpoints onramp sends events to, and their deliveries.

use tonic::{Request, Response, Status};

use super::{audit_note, convert, update_mask};
use crate::error::{Error, FieldViolation};
use crate::paging;
use crate::webhooks::Webhooks;
use crate::webhooks::events::EVENT_TYPES;
use onramp_core::ErrorReason;
use onramp_core::idempotency::{check_request_id, ensure_same_request, fingerprint};
use onramp_proto as pb;
use onramp_proto::webhook_service_server::WebhookService;
use onramp_store::Store;
use onramp_store::webhooks::{DeliveryFilter, OutboxEvent, StoredDelivery, StoredEndpoint};
use onramp_webhooks::Secret;

/// Longest URL an endpoint may have.
const MAX_URL: usize = 2_048;
/// Longest description.
const MAX_DESCRIPTION: usize = 200;
/// Longest overlap of two secrets after a rotation: 7 days.
const MAX_OVERLAP_SECONDS: i64 = 7 * 24 * 3600;
/// The paths UpdateWebhookEndpoint accepts in its update_mask.
const UPDATABLE: [&str; 4] = ["url", "description", "event_types", "disabled"];

/// gRPC adapter for webhook endpoints.
#[derive(Debug, Clone)]
pub struct WebhookApi {
    store: Store,
    webhooks: Webhooks,
}

impl WebhookApi {
    pub fn new(store: Store, webhooks: Webhooks) -> Self {
        Self { store, webhooks }
    }

    async fn endpoint(&self, id: &str) -> Result<StoredEndpoint, Error> {
        self.store
            .webhook_endpoint(id)
            .await?
            .ok_or_else(|| endpoint_not_found(id))
    }
}

fn endpoint_not_found(id: &str) -> Error {
    Error::NotFound {
        reason: ErrorReason::WebhookEndpointNotFound,
        message: format!("webhook endpoint `{id}` does not exist"),
    }
    .with_meta("endpoint_id", id)
}

/// What a create's request id stands for: the endpoint as asked.
#[derive(serde::Serialize)]
struct EndpointRequest<'a> {
    url: &'a str,
    description: &'a str,
    event_types: &'a [String],
}

#[tonic::async_trait]
impl WebhookService for WebhookApi {
    async fn create_webhook_endpoint(
        &self,
        request: Request<pb::CreateWebhookEndpointRequest>,
    ) -> Result<Response<pb::CreateWebhookEndpointResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        note.set_request_id(&request.request_id);
        let asked = request.endpoint.unwrap_or_default();
        let mut violations: Vec<FieldViolation> =
            check_request_id(&request.request_id).into_iter().collect();
        violations.extend(check_description(&asked.description));
        violations.extend(check_event_types(&asked.event_types));
        violations.extend(self.check_url(&asked.url).await);
        if !violations.is_empty() {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        }
        let hash = fingerprint(&EndpointRequest {
            url: &asked.url,
            description: &asked.description,
            event_types: &asked.event_types,
        })
        .map_err(crate::error::status)?;
        let secret = Secret::generate();
        let endpoint = StoredEndpoint {
            id: format!("ep_{}", uuid::Uuid::new_v4().simple()),
            url: asked.url,
            description: asked.description,
            event_types: asked.event_types,
            secret: self.webhooks.seal(&secret).map_err(crate::error::status)?,
            disabled: false,
            disabled_reason: String::new(),
            create_time_ms: onramp_store::millis(time::OffsetDateTime::now_utc()),
            previous_until_ms: 0,
        };
        let (stored, stored_hash) = self
            .store
            .insert_webhook_endpoint(&endpoint, &request.request_id, &hash)
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        ensure_same_request(&request.request_id, &stored_hash, &hash)
            .map_err(crate::error::status)?;
        note.set_resource(&stored.id);
        // A replay answers the secret the first call made.
        let secret = self
            .webhooks
            .open(&stored.secret)
            .map_err(|problem| crate::error::status(Error::internal(problem)))?;
        Ok(Response::new(pb::CreateWebhookEndpointResponse {
            endpoint: Some(endpoint_message(&stored)),
            secret: secret.expose().to_owned(),
        }))
    }

    async fn get_webhook_endpoint(
        &self,
        request: Request<pb::GetWebhookEndpointRequest>,
    ) -> Result<Response<pb::GetWebhookEndpointResponse>, Status> {
        let endpoint = self
            .endpoint(&request.into_inner().id)
            .await
            .map_err(crate::error::status)?;
        Ok(Response::new(pb::GetWebhookEndpointResponse {
            endpoint: Some(endpoint_message(&endpoint)),
        }))
    }

    async fn list_webhook_endpoints(
        &self,
        request: Request<pb::ListWebhookEndpointsRequest>,
    ) -> Result<Response<pb::ListWebhookEndpointsResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let Some((offset, size)) =
            paging::offset_paging(request.page_size, &request.page_token, &mut violations)
                .map(|(size, offset)| (offset, size))
        else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        let all = self
            .store
            .webhook_endpoints()
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        let (page, next_page_token) = paging::page_of(all, offset, size);
        Ok(Response::new(pb::ListWebhookEndpointsResponse {
            endpoints: page.iter().map(endpoint_message).collect(),
            next_page_token,
        }))
    }

    async fn update_webhook_endpoint(
        &self,
        request: Request<pb::UpdateWebhookEndpointRequest>,
    ) -> Result<Response<pb::UpdateWebhookEndpointResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        let asked = request.endpoint.unwrap_or_default();
        note.set_resource(&asked.id);
        let mut violations = Vec::new();
        let paths = update_mask::checked_paths(request.update_mask, &UPDATABLE, &mut violations);
        let has = |name: &str| paths.iter().any(|path| path == name);
        if has("url") {
            violations.extend(self.check_url(&asked.url).await);
        }
        if has("description") {
            violations.extend(check_description(&asked.description));
        }
        if has("event_types") {
            violations.extend(check_event_types(&asked.event_types));
        }
        if !violations.is_empty() {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        }
        let mut endpoint = self
            .endpoint(&asked.id)
            .await
            .map_err(crate::error::status)?;
        if has("url") {
            endpoint.url = asked.url;
        }
        if has("description") {
            endpoint.description = asked.description;
        }
        if has("event_types") {
            endpoint.event_types = asked.event_types;
        }
        if has("disabled") && asked.disabled != endpoint.disabled {
            endpoint.disabled = asked.disabled;
            endpoint.disabled_reason = if asked.disabled {
                "disabled by the operator".to_owned()
            } else {
                String::new()
            };
        }
        let updated = self
            .store
            .update_webhook_endpoint(&endpoint)
            .await
            .map_err(|error| crate::error::status(error.into()))?
            .ok_or_else(|| crate::error::status(endpoint_not_found(&endpoint.id)))?;
        // Enabled again: what waited for it is due.
        self.webhooks.queued();
        Ok(Response::new(pb::UpdateWebhookEndpointResponse {
            endpoint: Some(endpoint_message(&updated)),
        }))
    }

    async fn delete_webhook_endpoint(
        &self,
        request: Request<pb::DeleteWebhookEndpointRequest>,
    ) -> Result<Response<pb::DeleteWebhookEndpointResponse>, Status> {
        let note = audit_note(&request);
        let id = request.into_inner().id;
        note.set_resource(&id);
        let deleted = self
            .store
            .delete_webhook_endpoint(&id)
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        if !deleted {
            return Err(crate::error::status(endpoint_not_found(&id)));
        }
        Ok(Response::new(pb::DeleteWebhookEndpointResponse {}))
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<pb::RotateWebhookSecretRequest>,
    ) -> Result<Response<pb::RotateWebhookSecretResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        note.set_resource(&request.id);
        if !(0..=MAX_OVERLAP_SECONDS).contains(&request.overlap_seconds) {
            return Err(crate::error::status(Error::invalid(
                "overlap_seconds",
                format!(
                    "must be from 0 to {MAX_OVERLAP_SECONDS} (7 days), got {}",
                    request.overlap_seconds
                ),
            )));
        }
        let secret = Secret::generate();
        let sealed = self.webhooks.seal(&secret).map_err(crate::error::status)?;
        let rotated = self
            .store
            .rotate_webhook_secret(&request.id, &sealed, request.overlap_seconds * 1_000)
            .await
            .map_err(|error| crate::error::status(error.into()))?
            .ok_or_else(|| crate::error::status(endpoint_not_found(&request.id)))?;
        Ok(Response::new(pb::RotateWebhookSecretResponse {
            endpoint: Some(endpoint_message(&rotated)),
            secret: secret.expose().to_owned(),
        }))
    }

    async fn send_test_webhook(
        &self,
        request: Request<pb::SendTestWebhookRequest>,
    ) -> Result<Response<pb::SendTestWebhookResponse>, Status> {
        let note = audit_note(&request);
        let id = request.into_inner().id;
        note.set_resource(&id);
        let endpoint = self.endpoint(&id).await.map_err(crate::error::status)?;
        let now = time::OffsetDateTime::now_utc();
        let event = OutboxEvent::new(
            "webhook.test",
            now,
            serde_json::json!({ "endpoint_id": endpoint.id }),
        );
        let delivery_id = self
            .store
            .enqueue_webhook_event_for(&event, &endpoint.id)
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        self.webhooks.queued();
        Ok(Response::new(pb::SendTestWebhookResponse {
            delivery: Some(pb::WebhookDelivery {
                id: delivery_id,
                endpoint_id: endpoint.id,
                event_id: event.id,
                event_type: event.event_type,
                status: pb::WebhookDeliveryStatus::Pending.into(),
                occur_time: Some(convert::timestamp(now)),
                next_attempt_time: Some(convert::timestamp(now)),
                payload: event.payload,
                ..Default::default()
            }),
        }))
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::ListWebhookDeliveriesResponse>, Status> {
        let request = request.into_inner();
        let status = match request.status() {
            pb::WebhookDeliveryStatus::Unspecified => None,
            pb::WebhookDeliveryStatus::Pending => Some("pending"),
            pb::WebhookDeliveryStatus::Delivered => Some("delivered"),
            pb::WebhookDeliveryStatus::Failed => Some("failed"),
        };
        let since_ms = request
            .since
            .as_ref()
            .and_then(convert::time_from)
            .map(onramp_store::millis);
        let spelling = format!(
            "endpoint={}&status={}&type={}&since={}",
            request.endpoint_id,
            status.unwrap_or_default(),
            request.event_type,
            since_ms.unwrap_or_default()
        );
        let mut violations = Vec::new();
        let size = paging::page_size(request.page_size).map_err(|v| violations.push(v));
        let after =
            paging::decode_cursor(&request.page_token, &spelling).map_err(|v| violations.push(v));
        let (Ok(size), Ok(after)) = (size, after) else {
            return Err(crate::error::status(Error::InvalidArgument(violations)));
        };
        let nonempty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        let limit = i64::try_from(size).unwrap_or(i64::MAX);
        let mut deliveries = self
            .store
            .webhook_deliveries(&DeliveryFilter {
                id: None,
                endpoint_id: nonempty(&request.endpoint_id),
                status: status.map(str::to_owned),
                event_type: nonempty(&request.event_type),
                since_ms,
                after,
                limit: limit + 1,
            })
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        let more = deliveries.len() > size;
        deliveries.truncate(size);
        let page: Vec<&StoredDelivery> = deliveries.iter().collect();
        let next_page_token =
            paging::next_cursor_token(&spelling, &page, more, |delivery: &StoredDelivery| {
                (delivery.occur_ms, delivery.id.as_str())
            });
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: deliveries.iter().map(delivery_message).collect(),
            next_page_token,
        }))
    }

    async fn retry_webhook_delivery(
        &self,
        request: Request<pb::RetryWebhookDeliveryRequest>,
    ) -> Result<Response<pb::RetryWebhookDeliveryResponse>, Status> {
        let note = audit_note(&request);
        let id = request.into_inner().id;
        note.set_resource(&id);
        let store_error = |error: onramp_store::StoreError| crate::error::status(error.into());
        if !self
            .store
            .requeue_webhook_delivery(&id)
            .await
            .map_err(store_error)?
        {
            return Err(crate::error::status(
                Error::NotFound {
                    reason: ErrorReason::WebhookDeliveryNotFound,
                    message: format!("webhook delivery `{id}` does not exist"),
                }
                .with_meta("delivery_id", &id),
            ));
        }
        self.webhooks.queued();
        let delivery = self
            .store
            .webhook_deliveries(&DeliveryFilter {
                id: Some(id),
                limit: 1,
                ..DeliveryFilter::default()
            })
            .await
            .map_err(store_error)?;
        Ok(Response::new(pb::RetryWebhookDeliveryResponse {
            delivery: delivery.first().map(delivery_message),
        }))
    }

    async fn recover_webhook_endpoint(
        &self,
        request: Request<pb::RecoverWebhookEndpointRequest>,
    ) -> Result<Response<pb::RecoverWebhookEndpointResponse>, Status> {
        let note = audit_note(&request);
        let request = request.into_inner();
        note.set_resource(&request.id);
        let since = request.since.as_ref().and_then(convert::time_from);
        let until = match request.until.as_ref() {
            Some(until) => convert::time_from(until),
            None => Some(time::OffsetDateTime::now_utc()),
        };
        let (Some(since), Some(until)) = (since, until) else {
            return Err(crate::error::status(Error::invalid(
                "since",
                "is required, and since and until must be valid times",
            )));
        };
        if until <= since {
            return Err(crate::error::status(Error::invalid(
                "until",
                "must be after since",
            )));
        }
        let endpoint = self
            .endpoint(&request.id)
            .await
            .map_err(crate::error::status)?;
        let requeued = self
            .store
            .requeue_failed_webhook_deliveries(
                &endpoint.id,
                onramp_store::millis(since),
                onramp_store::millis(until),
            )
            .await
            .map_err(|error| crate::error::status(error.into()))?;
        self.webhooks.queued();
        Ok(Response::new(pb::RecoverWebhookEndpointResponse {
            requeued: i32::try_from(requeued).unwrap_or(i32::MAX),
        }))
    }
}

impl WebhookApi {
    /// The URL's violations: its form, and where its host resolves to.
    async fn check_url(&self, url: &str) -> Option<FieldViolation> {
        if url.is_empty() {
            return Some(FieldViolation::new("endpoint.url", "is required"));
        }
        if url.len() > MAX_URL {
            return Some(FieldViolation::new(
                "endpoint.url",
                format!("must be at most {MAX_URL} characters, got {}", url.len()),
            ));
        }
        self.webhooks
            .destinations()
            .check_url(url)
            .await
            .err()
            .map(|refusal| FieldViolation::new("endpoint.url", refusal.to_string()))
    }
}

fn check_description(description: &str) -> Option<FieldViolation> {
    let length = description.chars().count();
    (length > MAX_DESCRIPTION).then(|| {
        FieldViolation::new(
            "endpoint.description",
            format!("must be at most {MAX_DESCRIPTION} characters, got {length}"),
        )
    })
}

fn check_event_types(types: &[String]) -> Vec<FieldViolation> {
    types
        .iter()
        .enumerate()
        .filter(|(_, event_type)| !EVENT_TYPES.contains(&event_type.as_str()))
        .map(|(index, event_type)| {
            FieldViolation::new(
                format!("endpoint.event_types[{index}]"),
                format!(
                    "`{event_type}` is not an event type; one of: {}",
                    EVENT_TYPES.join(", ")
                ),
            )
        })
        .collect()
}

fn endpoint_message(endpoint: &StoredEndpoint) -> pb::WebhookEndpoint {
    pb::WebhookEndpoint {
        id: endpoint.id.clone(),
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        event_types: endpoint.event_types.clone(),
        disabled: endpoint.disabled,
        disabled_reason: endpoint.disabled_reason.clone(),
        create_time: onramp_store::from_millis(endpoint.create_time_ms)
            .ok()
            .map(convert::timestamp),
        // Until then (the database's clock) the previous secret signs too.
        secret_overlap_until: (endpoint.previous_until_ms
            > onramp_store::millis(time::OffsetDateTime::now_utc()))
        .then(|| onramp_store::from_millis(endpoint.previous_until_ms).ok())
        .flatten()
        .map(convert::timestamp),
    }
}

fn delivery_message(delivery: &StoredDelivery) -> pb::WebhookDelivery {
    let time = |ms: i64| onramp_store::from_millis(ms).ok().map(convert::timestamp);
    pb::WebhookDelivery {
        id: delivery.id.clone(),
        endpoint_id: delivery.endpoint_id.clone(),
        event_id: delivery.event_id.clone(),
        event_type: delivery.event_type.clone(),
        status: match delivery.status.as_str() {
            "delivered" => pb::WebhookDeliveryStatus::Delivered,
            "failed" => pb::WebhookDeliveryStatus::Failed,
            _ => pb::WebhookDeliveryStatus::Pending,
        }
        .into(),
        attempts: i32::try_from(delivery.attempts).unwrap_or(i32::MAX),
        last_http_status: i32::try_from(delivery.last_http_status).unwrap_or_default(),
        last_error: delivery.last_error.clone(),
        occur_time: time(delivery.occur_ms),
        next_attempt_time: (delivery.status == "pending")
            .then(|| time(delivery.next_attempt_ms))
            .flatten(),
        payload: delivery.payload.clone(),
    }
}
