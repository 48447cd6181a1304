//! THE authorization table: every RPC of `onramp.v1` and the one scope it needs. A method that is
//! not listed here is denied, so a new RPC stays closed until someone decides who may call it
//! (`tests/auth_scopes.rs` walks the descriptor set and fails on any RPC missing from the table).

use serde::{Deserialize, Serialize};

/// A permission a caller holds. `admin` implies every other scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum Scope {
    /// Catalog reads, and region reads.
    #[serde(rename = "catalog.read")]
    CatalogRead,
    #[serde(rename = "regions.write")]
    RegionsWrite,
    #[serde(rename = "keys.read")]
    KeysRead,
    #[serde(rename = "keys.write")]
    KeysWrite,
    #[serde(rename = "orders.read")]
    OrdersRead,
    /// Buying, approving and rejecting VXCs: the scope that spends money.
    #[serde(rename = "orders.write")]
    OrdersWrite,
    /// `WatchServiceKeys` and `WatchApprovals` streams.
    #[serde(rename = "watch")]
    Watch,
    /// Webhook endpoints and deliveries, read.
    #[serde(rename = "webhooks.read")]
    WebhooksRead,
    /// Webhook endpoints, changed (their secrets are shown on create and rotation).
    #[serde(rename = "webhooks.write")]
    WebhooksWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::CatalogRead,
        Scope::RegionsWrite,
        Scope::KeysRead,
        Scope::KeysWrite,
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::Watch,
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::Admin,
    ];

    /// The name used in configuration and in `ErrorInfo.metadata["scope"]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog.read",
            Scope::RegionsWrite => "regions.write",
            Scope::KeysRead => "keys.read",
            Scope::KeysWrite => "keys.write",
            Scope::OrdersRead => "orders.read",
            Scope::OrdersWrite => "orders.write",
            Scope::Watch => "watch",
            Scope::WebhooksRead => "webhooks.read",
            Scope::WebhooksWrite => "webhooks.write",
            Scope::Admin => "admin",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The scopes one caller holds, as a bit set (cheap to copy into every request).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeSet(u16);

impl ScopeSet {
    pub fn all() -> Self {
        Self::from_iter(Scope::ALL)
    }

    /// Whether a caller with these scopes may call an RPC that needs `scope`.
    pub fn allows(self, scope: Scope) -> bool {
        self.0 & (Scope::Admin.bit() | scope.bit()) != 0
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl std::fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(
                Scope::ALL
                    .iter()
                    .filter(|scope| self.0 & scope.bit() != 0)
                    .map(|scope| scope.as_str()),
            )
            .finish()
    }
}

/// What a method needs before it may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// No caller identity needed: health checks and (when enabled) reflection.
    Open,
    /// An authenticated caller holding `scope`. Mutating calls are rate limited per caller and
    /// audited.
    Requires { scope: Scope, mutating: bool },
}

const READ: bool = false;
const WRITE: bool = true;

/// `(full method path, scope, mutating)` for every `onramp.v1` RPC.
pub const TABLE: &[(&str, Scope, bool)] = &[
    // CatalogService: reads only.
    (
        "/onramp.v1.CatalogService/ListCountries",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.CatalogService/ListMetros",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.CatalogService/ListOnRamps",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.CatalogService/GetOnRamp",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.CatalogService/SelectOnRamps",
        Scope::CatalogRead,
        READ,
    ),
    // RegionService: reads are catalog reads.
    (
        "/onramp.v1.RegionService/CreateRegion",
        Scope::RegionsWrite,
        WRITE,
    ),
    (
        "/onramp.v1.RegionService/GetRegion",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.RegionService/ListRegions",
        Scope::CatalogRead,
        READ,
    ),
    (
        "/onramp.v1.RegionService/UpdateRegion",
        Scope::RegionsWrite,
        WRITE,
    ),
    (
        "/onramp.v1.RegionService/DeleteRegion",
        Scope::RegionsWrite,
        WRITE,
    ),
    // ServiceKeyService.
    (
        "/onramp.v1.ServiceKeyService/CreateServiceKey",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ServiceKeyService/IssueServiceKeys",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ServiceKeyService/GetServiceKey",
        Scope::KeysRead,
        READ,
    ),
    (
        "/onramp.v1.ServiceKeyService/ListServiceKeys",
        Scope::KeysRead,
        READ,
    ),
    (
        "/onramp.v1.ServiceKeyService/UpdateServiceKey",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ServiceKeyService/DeactivateServiceKey",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ServiceKeyService/RotateServiceKey",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ServiceKeyService/WatchServiceKeys",
        Scope::Watch,
        READ,
    ),
    // WebhookService: where events go; a write shows a secret.
    (
        "/onramp.v1.WebhookService/CreateWebhookEndpoint",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/GetWebhookEndpoint",
        Scope::WebhooksRead,
        READ,
    ),
    (
        "/onramp.v1.WebhookService/ListWebhookEndpoints",
        Scope::WebhooksRead,
        READ,
    ),
    (
        "/onramp.v1.WebhookService/UpdateWebhookEndpoint",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/DeleteWebhookEndpoint",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/RotateWebhookSecret",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/SendTestWebhook",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/ListWebhookDeliveries",
        Scope::WebhooksRead,
        READ,
    ),
    (
        "/onramp.v1.WebhookService/RetryWebhookDelivery",
        Scope::WebhooksWrite,
        WRITE,
    ),
    (
        "/onramp.v1.WebhookService/RecoverWebhookEndpoint",
        Scope::WebhooksWrite,
        WRITE,
    ),
    // ApprovalService: the provider's inbox, keys' owner work.
    (
        "/onramp.v1.ApprovalService/ListApprovals",
        Scope::KeysRead,
        READ,
    ),
    (
        "/onramp.v1.ApprovalService/ApproveApproval",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ApprovalService/RejectApproval",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.ApprovalService/WatchApprovals",
        Scope::Watch,
        READ,
    ),
    // VxcOrderService: lookup and validate are reads (they price, they do not buy).
    (
        "/onramp.v1.VxcOrderService/LookupServiceKey",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/ValidateVxcOrder",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/QuoteVxc",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/QuoteVxcChange",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/QuoteVxcCancellation",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/ChangeVxc",
        Scope::OrdersWrite,
        WRITE,
    ),
    (
        "/onramp.v1.VxcOrderService/CancelVxc",
        Scope::OrdersWrite,
        WRITE,
    ),
    (
        "/onramp.v1.VxcOrderService/UncancelVxc",
        Scope::OrdersWrite,
        WRITE,
    ),
    (
        "/onramp.v1.VxcOrderService/CreateVxcOrder",
        Scope::OrdersWrite,
        WRITE,
    ),
    (
        "/onramp.v1.VxcOrderService/GetVxcOrder",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/ListVxcOrders",
        Scope::OrdersRead,
        READ,
    ),
    (
        "/onramp.v1.VxcOrderService/WatchVxcOrder",
        Scope::OrdersRead,
        READ,
    ),
    // Deciding an approval is the key owner's work, as through ApprovalService: one scope for
    // it whichever service the call comes through, so a storefront that buys for customers
    // (orders.write) cannot approve its own orders.
    (
        "/onramp.v1.VxcOrderService/ApproveVxcOrder",
        Scope::KeysWrite,
        WRITE,
    ),
    (
        "/onramp.v1.VxcOrderService/RejectVxcOrder",
        Scope::KeysWrite,
        WRITE,
    ),
    // AdminService.
    (
        "/onramp.v1.AdminService/ListAuditRecords",
        Scope::Admin,
        READ,
    ),
    // Who the caller is and how onramp fares: what any console user may read.
    (
        "/onramp.v1.AdminService/GetServerStatus",
        Scope::CatalogRead,
        READ,
    ),
];

/// Services anyone may call. Health must leak nothing; reflection is switched off by
/// `reflection = false`, in which case the router answers UNIMPLEMENTED for it.
const OPEN_SERVICES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// The policy for a request path; `None` means the method is unknown and must be denied.
pub fn policy(path: &str) -> Option<Policy> {
    if OPEN_SERVICES.iter().any(|prefix| path.starts_with(prefix)) {
        return Some(Policy::Open);
    }
    TABLE
        .iter()
        .find(|(method, _, _)| *method == path)
        .map(|&(_, scope, mutating)| Policy::Requires { scope, mutating })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_every_scope_and_others_only_themselves() {
        let admin = ScopeSet::from_iter([Scope::Admin]);
        let reader = ScopeSet::from_iter([Scope::CatalogRead]);
        for scope in Scope::ALL {
            assert!(admin.allows(scope));
            assert_eq!(reader.allows(scope), scope == Scope::CatalogRead);
        }
    }

    #[test]
    fn unknown_methods_have_no_policy_and_health_is_open() {
        assert_eq!(policy("/onramp.v1.CatalogService/DropTables"), None);
        assert_eq!(policy("/grpc.health.v1.Health/Check"), Some(Policy::Open));
        assert_eq!(
            policy("/onramp.v1.VxcOrderService/CreateVxcOrder"),
            Some(Policy::Requires {
                scope: Scope::OrdersWrite,
                mutating: true
            })
        );
    }

    #[test]
    fn table_has_no_duplicate_methods() {
        let mut paths: Vec<_> = TABLE.iter().map(|(path, _, _)| *path).collect();
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(before, paths.len());
    }

    #[test]
    fn scope_names_round_trip_through_serde() {
        for scope in Scope::ALL {
            let json = serde_json::to_string(&scope).expect("serialize");
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
            let back: Scope = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, scope);
        }
    }
}
