//! The `[orders]` section and the order desk built from it over every configured account.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::order_upstream::MegaportOrders;
use crate::settings::{ConfigError, positive};
use crate::upstream::Upstream;
use onramp_core::locks::Locks;
use onramp_core::orders::{OrderDesk, OrderUpstream};
use onramp_store::Store;

/// VXC orders.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderSettings {
    /// How often WatchVxcOrder polls Megaport for the order's VXC.
    pub poll_interval_millis: u64,
    /// Budget for the Megaport calls of one order RPC.
    pub upstream_timeout_millis: u64,
    /// After a buy with an unknown outcome, how long to wait since that buy before a VXC missing
    /// upstream counts as proof that it was not placed (and a retry may buy again).
    pub rebuy_grace_millis: u64,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            poll_interval_millis: 5_000,
            upstream_timeout_millis: 30_000,
            rebuy_grace_millis: 5_000,
        }
    }
}

impl OrderSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("orders.poll_interval_millis", self.poll_interval_millis)?;
        positive(
            "orders.upstream_timeout_millis",
            self.upstream_timeout_millis,
        )?;
        Ok(())
    }
}

/// The order desk over every configured account; an order naming no account runs under the
/// provider's.
pub fn order_desk(settings: &OrderSettings, upstream: &Upstream, store: &Store) -> OrderDesk {
    let accounts = upstream
        .accounts
        .iter()
        .map(|(name, client)| {
            (
                name.clone(),
                Arc::new(MegaportOrders::new(client.clone())) as Arc<dyn OrderUpstream>,
            )
        })
        .collect();
    OrderDesk::new(
        accounts,
        upstream.provider_account.clone(),
        upstream.catalog.clone(),
        Arc::new(store.clone()),
        Locks::new(Arc::new(store.clone())),
        onramp_core::orders::OrderSettings {
            poll_interval: Duration::from_millis(settings.poll_interval_millis),
            upstream_timeout: Duration::from_millis(settings.upstream_timeout_millis),
            rebuy_grace: Duration::from_millis(settings.rebuy_grace_millis),
        },
    )
}
