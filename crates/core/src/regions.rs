//! Provider-defined regions: a name customers pick ("US-West") mapped to Megaport Ports through a
//! selector of countries, metros, location ids and Port uids (a Port matches if any list does).

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::error::FieldViolation;
use crate::onramps::{Location, Port};

/// Longest display name accepted.
pub const MAX_DISPLAY_NAME: usize = 100;
/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 1000;
/// Longest region name accepted (the slug).
pub const MAX_NAME: usize = 63;

/// Which Ports belong to a region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selector {
    pub countries: Vec<String>,
    pub metros: Vec<String>,
    pub location_ids: Vec<i32>,
    pub port_uids: Vec<String>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.countries.is_empty()
            && self.metros.is_empty()
            && self.location_ids.is_empty()
            && self.port_uids.is_empty()
    }

    /// True when any of the lists names the Port (country and metro case-insensitively).
    pub fn matches(&self, port: &Port) -> bool {
        self.countries
            .iter()
            .any(|country| country.eq_ignore_ascii_case(&port.location.country))
            || self
                .metros
                .iter()
                .any(|metro| metro.eq_ignore_ascii_case(&port.location.metro))
            || self.location_ids.contains(&port.location.id)
            || self.port_uids.iter().any(|uid| uid == &port.uid)
    }

    /// Checks every entry against Megaport's locations and the provider's Ports. `field` is the
    /// request path of the selector, e.g. `region.selector`.
    pub fn validate(
        &self,
        field: &str,
        locations: &[Location],
        ports: &[Port],
    ) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        if self.is_empty() {
            violations.push(FieldViolation::new(
                field,
                "must name at least one country, metro, location id or port uid",
            ));
            return violations;
        }
        for (index, country) in self.countries.iter().enumerate() {
            let known = locations
                .iter()
                .any(|location| location.country.eq_ignore_ascii_case(country))
                || ports
                    .iter()
                    .any(|port| port.location.country.eq_ignore_ascii_case(country));
            if !known {
                violations.push(FieldViolation::new(
                    format!("{field}.countries[{index}]"),
                    format!("unknown country `{country}`"),
                ));
            }
        }
        for (index, metro) in self.metros.iter().enumerate() {
            let known = locations
                .iter()
                .any(|location| location.metro.eq_ignore_ascii_case(metro))
                || ports
                    .iter()
                    .any(|port| port.location.metro.eq_ignore_ascii_case(metro));
            if !known {
                violations.push(FieldViolation::new(
                    format!("{field}.metros[{index}]"),
                    format!("unknown metro `{metro}`"),
                ));
            }
        }
        for (index, id) in self.location_ids.iter().enumerate() {
            if !locations.iter().any(|location| location.id == *id) {
                violations.push(FieldViolation::new(
                    format!("{field}.location_ids[{index}]"),
                    format!("unknown megaport location id {id}"),
                ));
            }
        }
        for (index, uid) in self.port_uids.iter().enumerate() {
            if !ports.iter().any(|port| &port.uid == uid) {
                violations.push(FieldViolation::new(
                    format!("{field}.port_uids[{index}]"),
                    format!("`{uid}` is not one of the provider's ports"),
                ));
            }
        }
        violations
    }
}

/// A provider region as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub selector: Selector,
    pub create_time: OffsetDateTime,
    pub update_time: OffsetDateTime,
}

impl Region {
    /// The uids of the Ports the selector matches now, ascending.
    pub fn port_uids(&self, ports: &[Port]) -> Vec<String> {
        ports
            .iter()
            .filter(|port| self.selector.matches(port))
            .map(|port| port.uid.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

/// Checks a region name: a lowercase slug `^[a-z][a-z0-9-]{0,62}$`.
pub fn validate_name(field: &str, name: &str) -> Option<FieldViolation> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= MAX_NAME;
    (!well_formed).then(|| {
        FieldViolation::new(
            field,
            format!(
                "must be a lowercase slug of 1 to {MAX_NAME} characters matching ^[a-z][a-z0-9-]*$"
            ),
        )
    })
}

/// Checks the human-facing texts of a region.
pub fn validate_texts(
    display_name_field: &str,
    display_name: &str,
    description_field: &str,
    description: &str,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let display_length = display_name.trim().chars().count();
    if display_length == 0 || display_length > MAX_DISPLAY_NAME {
        violations.push(FieldViolation::new(
            display_name_field,
            format!("must be 1 to {MAX_DISPLAY_NAME} characters"),
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        violations.push(FieldViolation::new(
            description_field,
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    violations
}

/// Region names that contain the Port, ascending.
pub fn regions_of(port: &Port, regions: &[Region]) -> Vec<String> {
    let mut names: Vec<String> = regions
        .iter()
        .filter(|region| region.selector.matches(port))
        .map(|region| region.name.clone())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onramps::fixtures::guide_ports;

    fn locations() -> Vec<Location> {
        guide_ports()
            .into_iter()
            .map(|port| port.location)
            .collect()
    }

    #[test]
    fn us_west_is_locations_59_and_60() {
        let selector = Selector {
            location_ids: vec![59, 60],
            ..Selector::default()
        };
        let ports = guide_ports();
        assert!(
            selector
                .validate("selector", &locations(), &ports)
                .is_empty()
        );
        let region = Region {
            name: "us-west".into(),
            display_name: "US-West".into(),
            description: String::new(),
            selector,
            create_time: OffsetDateTime::UNIX_EPOCH,
            update_time: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(region.port_uids(&ports), ["la1", "la2", "la3"]);
    }

    #[test]
    fn unknown_entries_and_empty_selectors_are_named() {
        let ports = guide_ports();
        let empty = Selector::default().validate("region.selector", &locations(), &ports);
        assert_eq!(empty[0].field, "region.selector");
        let selector = Selector {
            countries: vec!["usa".into(), "Atlantis".into()],
            location_ids: vec![59, 9999],
            port_uids: vec!["nope".into()],
            ..Selector::default()
        };
        let fields: Vec<_> = selector
            .validate("region.selector", &locations(), &ports)
            .into_iter()
            .map(|violation| violation.field)
            .collect();
        assert_eq!(
            fields,
            [
                "region.selector.countries[1]",
                "region.selector.location_ids[1]",
                "region.selector.port_uids[0]"
            ]
        );
    }

    #[test]
    fn names_must_be_slugs() {
        assert!(validate_name("name", "us-west").is_none());
        assert!(validate_name("name", "").is_some());
        assert!(validate_name("name", "US-West").is_some());
        assert!(validate_name("name", "1west").is_some());
        assert!(validate_name("name", &"a".repeat(64)).is_some());
    }
}
