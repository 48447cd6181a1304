//! VXCs onramp has just bought, laid over the cached Ports until a products listing shows them:
//! the capacity a buy takes shows at once (for the next order's headroom check and every
//! selection) without forgetting the products, whose reload would cost a Megaport request per
//! order. Each replica lays over its own buys; the others see them at their next refresh, as
//! they did when buys only invalidated the cache.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use onramp_core::onramps::{Port, PortVxc};

/// One bought VXC's end on a Port.
#[derive(Debug, Clone)]
pub(crate) struct Bought {
    port_uid: String,
    vxc: PortVxc,
    at: Instant,
}

/// The bought VXCs not yet listed: a new `Arc` on every change, so what is derived from it is
/// derived again (see `onramp_core::derived`).
#[derive(Debug, Default)]
pub(crate) struct BoughtVxcs {
    inner: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    bought: Arc<Vec<Bought>>,
    /// The listing `bought` was last checked against: a read of the same listing finds the
    /// same VXCs still pending without scanning the Ports again.
    checked_against: Option<Arc<Vec<Port>>>,
}

impl BoughtVxcs {
    pub(crate) fn record(&self, port_uid: &str, vxc: PortVxc) {
        let mut pending = self.lock();
        let mut next = Vec::clone(&pending.bought);
        next.push(Bought {
            port_uid: port_uid.to_owned(),
            vxc,
            at: Instant::now(),
        });
        pending.bought = Arc::new(next);
        pending.checked_against = None;
    }

    /// The VXCs still to lay over `listed`: those it does not show yet, younger than
    /// `max_age` (past it, a listing without the VXC means it is gone). `None` when there are
    /// none.
    pub(crate) fn over(
        &self,
        listed: &Arc<Vec<Port>>,
        max_age: Duration,
    ) -> Option<Arc<Vec<Bought>>> {
        let mut pending = self.lock();
        if pending.bought.is_empty() {
            return None;
        }
        if !pending
            .checked_against
            .as_ref()
            .is_some_and(|checked| Arc::ptr_eq(checked, listed))
        {
            let still: Vec<Bought> = pending
                .bought
                .iter()
                .filter(|bought| bought.at.elapsed() < max_age && !shown(listed, bought))
                .cloned()
                .collect();
            if still.len() != pending.bought.len() {
                pending.bought = Arc::new(still);
            }
            pending.checked_against = Some(listed.clone());
        }
        (!pending.bought.is_empty()).then(|| pending.bought.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn shown(listed: &[Port], bought: &Bought) -> bool {
    listed.iter().any(|port| {
        port.uid == bought.port_uid && port.vxcs.iter().any(|vxc| vxc.uid == bought.vxc.uid)
    })
}

/// `listed` with the bought VXCs on their Ports.
pub(crate) fn lay_over(listed: &[Port], bought: &[Bought]) -> Vec<Port> {
    let mut ports = listed.to_vec();
    for bought in bought {
        if let Some(port) = ports.iter_mut().find(|port| port.uid == bought.port_uid) {
            port.vxcs.push(bought.vxc.clone());
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use super::*;
    use onramp_core::onramps::ProvisioningStatus;

    fn port(uid: &str, vxcs: &[&str]) -> Port {
        let mut port = onramp_core::onramps::fixtures::guide_ports()
            .into_iter()
            .next()
            .expect("a guide port");
        port.uid = uid.to_owned();
        port.vxcs = vxcs.iter().map(|uid| vxc(uid)).collect();
        port
    }

    fn vxc(uid: &str) -> PortVxc {
        PortVxc {
            uid: uid.to_owned(),
            name: String::new(),
            rate_limit_mbps: 100,
            vlan: None,
            status: ProvisioningStatus::Deployable,
            create_time: None,
        }
    }

    #[test]
    fn a_bought_vxc_shows_until_a_listing_has_it() {
        let bought = BoughtVxcs::default();
        let listed = Arc::new(vec![port("a", &[]), port("b", &[])]);
        assert!(bought.over(&listed, Duration::from_secs(60)).is_none());
        bought.record("a", vxc("v1"));
        let pending = bought.over(&listed, Duration::from_secs(60)).expect("v1");
        let ports = lay_over(&listed, &pending);
        assert_eq!(ports[0].vxcs.len(), 1);
        assert_eq!(ports[0].allocated_mbps(), 100);
        assert!(ports[1].vxcs.is_empty());
        // The listing that has it ends the overlay.
        let relisted = Arc::new(vec![port("a", &["v1"]), port("b", &[])]);
        assert!(bought.over(&relisted, Duration::from_secs(60)).is_none());
    }

    #[test]
    fn a_bought_vxc_no_listing_shows_goes_after_max_age() {
        let bought = BoughtVxcs::default();
        bought.record("a", vxc("v1"));
        assert!(
            bought
                .over(&Arc::new(vec![port("a", &[])]), Duration::ZERO)
                .is_none()
        );
    }
}
