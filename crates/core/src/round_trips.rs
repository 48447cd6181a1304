//! Round trips between places: coordinates, the distance estimate, and an expected round trip
//! with its source. Below both `onramps` (a location's coordinates, an on-ramp's expected round
//! trip) and `proximity` (which computes them).

/// A point on Earth in millionths of a degree: exact, hashable, and about 0.1 m fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Coordinates {
    pub lat_e6: i32,
    pub lon_e6: i32,
}

impl Coordinates {
    /// `None` unless both are finite and in range (Megaport leaves some sites without).
    pub fn from_degrees(latitude: f64, longitude: f64) -> Option<Self> {
        let in_range = latitude.is_finite()
            && longitude.is_finite()
            && latitude.abs() <= 90.0
            && longitude.abs() <= 180.0;
        #[allow(clippy::cast_possible_truncation)] // in range: at most 180e6
        in_range.then(|| Self {
            lat_e6: (latitude * 1e6).round() as i32,
            lon_e6: (longitude * 1e6).round() as i32,
        })
    }

    /// Great-circle distance (haversine, mean Earth radius).
    pub fn km_to(self, other: Coordinates) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6_371.0;
        let degrees = |e6: i32| f64::from(e6) / 1e6;
        let (phi1, phi2) = (
            degrees(self.lat_e6).to_radians(),
            degrees(other.lat_e6).to_radians(),
        );
        let dphi = phi2 - phi1;
        let dlambda = (degrees(other.lon_e6) - degrees(self.lon_e6)).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// Light in fibre covers about 200 km per millisecond, and a fibre route runs about 1.5 times
/// the straight line: a round trip of `km` takes `2 * km * 1.5 / 200` ms, before equipment.
pub(crate) fn geo_estimate_ms(km: f64) -> f64 {
    let ms = 2.0 * km * 1.5 / 200.0;
    (ms * 10.0).round() / 10.0
}

/// Where an expected round trip comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RttSource {
    /// Megaport's median for the month named beside it.
    MegaportMedian,
    /// Great-circle distance between the locations' coordinates.
    GeoEstimate,
    /// Pinned by the operator in config.
    OperatorOverride,
}

/// The round trip a customer at one location can expect to an on-ramp.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedRtt {
    pub ms: f64,
    pub source: RttSource,
    /// The month of a Megaport median (year, month); `None` for other sources.
    pub month: Option<(i32, u8)>,
}

impl ExpectedRtt {
    /// "24.6 ms (megaport median 2026-11)", for rejection details.
    pub fn describe(&self) -> String {
        let source = match (self.source, self.month) {
            (RttSource::MegaportMedian, Some((year, month))) => {
                format!("megaport median {year}-{month:02}")
            }
            (RttSource::MegaportMedian, None) => "megaport median".to_owned(),
            (RttSource::GeoEstimate, _) => "geographic estimate".to_owned(),
            (RttSource::OperatorOverride, _) => "operator override".to_owned(),
        };
        format!("{:.1} ms ({source})", self.ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_estimates_are_plausible() {
        let seattle = Coordinates::from_degrees(47.6145, -122.3387).expect("valid");
        let la = Coordinates::from_degrees(34.0481, -118.2570).expect("valid");
        let km = seattle.km_to(la);
        assert!((1_500.0..1_600.0).contains(&km), "{km}");
        assert!((22.0..25.0).contains(&geo_estimate_ms(km)));
        assert_eq!(Coordinates::from_degrees(91.0, 0.0), None);
        assert_eq!(Coordinates::from_degrees(f64::NAN, 0.0), None);
    }
}
