//! Regions declared in a TOML file and applied at start, so a provider can keep its region map in
//! version control. Format:
//!
//! ```toml
//! [[regions]]
//! name = "us-west"            # slug, ^[a-z][a-z0-9-]*$
//! display_name = "US-West"
//! description = "Los Angeles"  # optional
//! location_ids = [59, 60]      # any of: countries, metros, location_ids, port_uids
//! ```

use serde::Deserialize;

use onramp_core::directory::RegionDraft;
use onramp_core::regions::Selector;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    #[serde(default)]
    regions: Vec<DeclaredRegion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredRegion {
    name: String,
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    countries: Vec<String>,
    #[serde(default)]
    metros: Vec<String>,
    #[serde(default)]
    location_ids: Vec<i32>,
    #[serde(default)]
    port_uids: Vec<String>,
}

/// The regions the built-in sandbox scenario ships: the guide's US-West.
pub const SANDBOX_REGIONS: &str = include_str!("../sandbox-regions.toml");

/// Parses a regions file; the error names the line and the key.
pub fn parse(text: &str) -> Result<Vec<RegionDraft>, String> {
    let file: RegionsFile = toml_parse(text)?;
    Ok(file
        .regions
        .into_iter()
        .map(|region| RegionDraft {
            name: region.name,
            display_name: region.display_name,
            description: region.description,
            selector: Selector {
                countries: region.countries,
                metros: region.metros,
                location_ids: region.location_ids,
                port_uids: region.port_uids,
            },
        })
        .collect())
}

fn toml_parse(text: &str) -> Result<RegionsFile, String> {
    toml::from_str(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_file_declares_us_west() {
        let regions = parse(SANDBOX_REGIONS).expect("parse");
        assert_eq!(regions.len(), 1);
        assert_eq!(regions[0].name, "us-west");
        assert_eq!(regions[0].display_name, "US-West");
        assert_eq!(regions[0].selector.location_ids, [59, 60]);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = parse("[[regions]]\nname = \"a\"\ndisplay_name = \"A\"\nlocations = [1]\n")
            .expect_err("unknown key");
        assert!(error.contains("locations"), "{error}");
    }
}
