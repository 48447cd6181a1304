//! A large provider for measuring how onramp's costs grow with inventory: the default scenario
//! plus generated locations, Ports, VXCs and service keys, deterministic for a given size (the
//! same uids every run), so nothing large is checked in.

use crate::seed::{Seed, SeedLocation, SeedPort, SeedServiceKey, SeedVxc};

/// How large a provider to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// The provider's Ports, besides the scenario's, spread over `locations`.
    pub ports: usize,
    pub locations: usize,
    /// Service keys on those Ports, a third of them single-use.
    pub keys: usize,
    /// VXCs from a customer Port in each location to the provider's Ports there.
    pub vxcs: usize,
}

/// A uid of kind `kind` for the `index`-th generated thing: a valid UUID, stable across runs.
fn uid(kind: u32, index: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{index:012x}")
}

/// The first VLAN of the keys on a Port: below it are the VXCs'.
const KEY_VLANS_FROM: usize = 2_000;

impl Seed {
    /// The default scenario with a large provider's inventory added: `scale.ports` Ports of the
    /// provider (alternately red and blue, 10 Gbps) over `scale.locations` new locations, one
    /// customer (Acme) Port per location, `scale.vxcs` 10 Mbps VXCs between them, and
    /// `scale.keys` keys on the provider's Ports.
    pub fn large_provider(scale: Scale) -> Seed {
        let mut seed = Seed::default_scenario();
        let provider = seed
            .companies
            .first()
            .map(|company| company.name.clone())
            .unwrap_or_default();
        let customer = seed
            .companies
            .get(1)
            .map_or_else(|| provider.clone(), |company| company.name.clone());
        let locations = scale.locations.max(1);
        let countries = ["USA", "Japan", "United Kingdom", "Australia", "Germany"];
        for index in 0..locations {
            let country = countries[index % countries.len()];
            seed.locations.push(SeedLocation {
                id: 10_000 + index as i64,
                name: format!("Generated DC {index}"),
                metro: format!("Metro {}", index / 2),
                market: country.to_owned(),
                country: country.to_owned(),
                city: format!("City {}", index / 2),
                status: "Active".to_owned(),
                data_centre: format!("Generated DC {index}"),
                street: None,
                state: None,
                postcode: None,
                latitude: Some((index % 180) as f64 - 90.0),
                longitude: Some((index % 360) as f64 - 180.0),
                diversity_zones: vec!["red".to_owned(), "blue".to_owned()],
            });
            let mut customer_port = SeedPort::new(
                &format!("Acme generated {index}"),
                &customer,
                10_000 + index as i64,
            );
            customer_port.uid = Some(uid(0xacbe, index));
            customer_port.speed = 100_000;
            seed.ports.push(customer_port);
        }
        let ports = scale.ports;
        for index in 0..ports {
            let location = index % locations;
            let mut port = SeedPort::new(
                &format!("QuantumGPU generated {index}"),
                &provider,
                10_000 + location as i64,
            );
            port.uid = Some(uid(0x9005, index));
            port.diversity_zone = Some(if index % 2 == 0 { "red" } else { "blue" }.to_owned());
            seed.ports.push(port);
        }
        if ports == 0 {
            return seed;
        }
        // VXCs go round the Ports; each end's VLAN counts up on its Port.
        let mut vlans_on_customer = vec![2_usize; locations];
        for index in 0..scale.vxcs {
            let port = index % ports;
            let location = port % locations;
            let a_vlan = vlans_on_customer[location];
            vlans_on_customer[location] += 1;
            let b_vlan = 2 + index / ports;
            seed.vxcs.push(SeedVxc {
                uid: Some(uid(0x7c, index)),
                ..SeedVxc::new(
                    &format!("generated vxc {index}"),
                    &customer,
                    (&uid(0xacbe, location), a_vlan as i64),
                    (&uid(0x9005, port), b_vlan as i64),
                    10,
                )
            });
        }
        for index in 0..scale.keys {
            let port = index % ports;
            let single_use = index % 3 == 0;
            seed.service_keys.push(SeedServiceKey {
                key: uid(0x4e7, index),
                company: provider.clone(),
                product_uid: uid(0x9005, port),
                single_use,
                vlan: single_use.then_some((KEY_VLANS_FROM + index / ports) as i64),
                max_speed: Some(1_000),
                pre_approved: true,
                active: true,
                description: Some(format!("generated key {index}")),
                valid_from_ms: None,
                valid_until_ms: None,
            });
        }
        seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_ports_twenty_thousand_keys_ten_thousand_vxcs_make_a_valid_seed() {
        let scale = Scale {
            ports: 1_000,
            locations: 200,
            keys: 20_000,
            vxcs: 10_000,
        };
        let seed = Seed::large_provider(scale);
        seed.check().expect("a consistent seed");
        let base = Seed::default_scenario();
        assert_eq!(seed.ports.len(), base.ports.len() + 1_000 + 200);
        assert_eq!(seed.service_keys.len(), base.service_keys.len() + 20_000);
        assert_eq!(seed.vxcs.len(), base.vxcs.len() + 10_000);
        assert_eq!(Seed::large_provider(scale), seed, "the same every run");
    }
}
