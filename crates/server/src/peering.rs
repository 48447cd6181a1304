//! Sends a key's peering profile to Megaport for a VXC bought with the key: before the VXC is
//! approved (`PUT /v3/product/vxc/{uid}` with `bEndConfig` on an MCR, `bVnicIndex` on an MVE),
//! and, when Megaport refused that, again once the VXC is LIVE. Every outcome is recorded in the
//! store (`peering_deliveries`), so every replica reports the same.
//!
//! Cost: one PUT per VXC bought with a key that has a profile; after a refusal, one VXC read
//! per approvals poll until it is LIVE, then one PUT.

use megaport::MegaportClient;
use megaport::models::UpdateVxcRequest;
use serde_json::{Value, json};

use crate::error::Error;
use onramp_core::peering::{BeforeApproval, Delivery, DeliveryState, McrPeering, PeeringProfile};
use onramp_core::time::now_millis;
use onramp_store::Store;

/// Megaport's default BFD timers for an MCR session with BFD on.
const BFD_INTERVAL_MS: i64 = 300;
const BFD_MULTIPLIER: i64 = 3;

pub struct PeeringSender {
    /// The provider's account: the owner of the B-End.
    client: MegaportClient,
    store: Store,
}

impl std::fmt::Debug for PeeringSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeeringSender").finish_non_exhaustive()
    }
}

impl PeeringSender {
    pub fn new(client: MegaportClient, store: Store) -> Self {
        Self { client, store }
    }

    /// Before a new order on `vxc_uid` bought with `key` is approved: sends the key's profile,
    /// if it has one. A refusal is recorded and left for after LIVE; only the store's failure
    /// is an error (the approval then waits).
    pub async fn before_approval(&self, key: &str, vxc_uid: &str) -> Result<(), Error> {
        let Some(profile) = self.profile(key).await? else {
            return Ok(());
        };
        if let Some(done) = self.store.delivery(vxc_uid).await?
            && done.state != DeliveryState::Pending
        {
            // A retried approval: the profile went (or waits for LIVE) already.
            return Ok(());
        }
        let (state, message) = match self.send(vxc_uid, &profile).await {
            Ok(()) => (DeliveryState::SentBeforeApproval, String::new()),
            Err(error) => {
                tracing::warn!(vxc_uid, %error,
                    "megaport refused the peering profile before approval; it is sent after live");
                (DeliveryState::AwaitingLive, error.to_string())
            }
        };
        self.record(key, vxc_uid, state, message).await
    }

    /// Sends the profiles Megaport refused before approval whose VXC is LIVE now.
    pub async fn after_live(&self) {
        let waiting = match self.store.deliveries_in(DeliveryState::AwaitingLive).await {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::warn!(%error, "peering deliveries not read");
                return;
            }
        };
        for delivery in waiting {
            if let Err(error) = self.deliver_if_live(&delivery).await {
                tracing::warn!(vxc_uid = %delivery.vxc_uid, %error, "peering profile not sent");
            }
        }
    }

    async fn deliver_if_live(&self, delivery: &Delivery) -> Result<(), Error> {
        let vxc = self
            .client
            .get_vxc(&delivery.vxc_uid, crate::call_context::deadline())
            .await
            .map_err(crate::error::upstream)?;
        match vxc.provisioning_status.as_deref() {
            Some("LIVE") => {}
            Some("CANCELLED" | "DECOMMISSIONED") => {
                let message = "the vxc ended before it was live".to_owned();
                return self
                    .record(
                        &delivery.key,
                        &delivery.vxc_uid,
                        DeliveryState::Failed,
                        message,
                    )
                    .await;
            }
            _ => return Ok(()),
        }
        let Some(profile) = self.profile(&delivery.key).await? else {
            return Ok(());
        };
        let (state, message) = match self.send(&delivery.vxc_uid, &profile).await {
            Ok(()) => (DeliveryState::SentAfterLive, String::new()),
            Err(error) => (DeliveryState::Failed, error.to_string()),
        };
        self.record(&delivery.key, &delivery.vxc_uid, state, message)
            .await
    }

    /// What happened to the profile on this VXC.
    pub async fn delivery(&self, vxc_uid: &str) -> Result<Option<Delivery>, Error> {
        Ok(self.store.delivery(vxc_uid).await?)
    }

    async fn profile(&self, key: &str) -> Result<Option<PeeringProfile>, Error> {
        Ok(self
            .store
            .ledger_entry(key)
            .await?
            .and_then(|entry| entry.peering))
    }

    async fn send(&self, vxc_uid: &str, profile: &PeeringProfile) -> Result<(), Error> {
        self.client
            .update_vxc(
                vxc_uid,
                &update_request(profile),
                crate::call_context::deadline(),
            )
            .await
            .map(|_| ())
            .map_err(crate::error::upstream)
    }

    async fn record(
        &self,
        key: &str,
        vxc_uid: &str,
        state: DeliveryState,
        message: String,
    ) -> Result<(), Error> {
        let delivery = Delivery {
            vxc_uid: vxc_uid.to_owned(),
            key: key.to_owned(),
            state,
            message: message.to_lowercase(),
            update_time_ms: i64::try_from(now_millis().unix_timestamp_nanos() / 1_000_000)
                .unwrap_or_default(),
        };
        Ok(self.store.record_delivery(&delivery).await?)
    }
}

#[async_trait::async_trait]
impl BeforeApproval for PeeringSender {
    async fn before_approval(&self, key: &str, vxc_uid: &str) -> Result<(), Error> {
        PeeringSender::before_approval(self, key, vxc_uid).await
    }
}

/// The PUT that configures the provider's end as the profile says.
fn update_request(profile: &PeeringProfile) -> UpdateVxcRequest {
    match profile {
        PeeringProfile::Mcr(mcr) => UpdateVxcRequest {
            b_end_config: Some(vrouter_config(mcr)),
            ..UpdateVxcRequest::default()
        },
        PeeringProfile::Mve { vnic_index } => UpdateVxcRequest {
            b_vnic_index: Some(i64::from(*vnic_index)),
            ..UpdateVxcRequest::default()
        },
    }
}

/// Megaport's vrouter partner config: one interface, with its BGP session.
fn vrouter_config(mcr: &McrPeering) -> Value {
    let mut interface = json!({ "ipAddresses": mcr.interface_addresses });
    if let Some(bgp) = &mcr.bgp {
        let mut session = json!({
            "peerAsn": bgp.peer_asn,
            "localIpAddress": bgp.local_ip_address,
            "peerIpAddress": bgp.peer_ip_address,
            "shutdown": false,
            "bfdEnabled": bgp.bfd,
        });
        if let Some(password) = &bgp.password {
            session["password"] = json!(password.0);
        }
        interface["bgpConnections"] = json!([session]);
        if bgp.bfd {
            interface["bfd"] = json!({
                "txInterval": BFD_INTERVAL_MS,
                "rxInterval": BFD_INTERVAL_MS,
                "multiplier": BFD_MULTIPLIER,
            });
        }
    }
    json!({ "interfaces": [interface] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use onramp_core::peering::{BgpSession, Password};

    #[test]
    fn an_mcr_profile_becomes_one_vrouter_interface_with_its_session() {
        let profile = PeeringProfile::Mcr(McrPeering {
            interface_addresses: vec!["169.254.10.1/30".into()],
            bgp: Some(BgpSession {
                peer_asn: 64512,
                local_ip_address: "169.254.10.1".into(),
                peer_ip_address: "169.254.10.2".into(),
                password: Some(Password("s3cret".into())),
                password_set: false,
                bfd: true,
            }),
        });
        let body = serde_json::to_value(update_request(&profile)).unwrap();
        assert_eq!(
            body,
            json!({"bEndConfig": {"interfaces": [{
                "ipAddresses": ["169.254.10.1/30"],
                "bfd": {"txInterval": 300, "rxInterval": 300, "multiplier": 3},
                "bgpConnections": [{"peerAsn": 64512, "localIpAddress": "169.254.10.1",
                    "peerIpAddress": "169.254.10.2", "password": "s3cret", "shutdown": false,
                    "bfdEnabled": true}]
            }]}})
        );
        let mve =
            serde_json::to_value(update_request(&PeeringProfile::Mve { vnic_index: 2 })).unwrap();
        assert_eq!(mve, json!({"bVnicIndex": 2}));
    }
}
