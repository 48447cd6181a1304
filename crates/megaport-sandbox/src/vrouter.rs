//! The layer-3 configuration of an MCR end of a VXC (Megaport's "vrouter" partner config), as
//! the B-End owner sends it in `PUT /v3/product/vxc/{uid}` `bEndConfig`, checked the way
//! Megaport documents it: interface addresses in CIDR form, BGP addresses without a mask, ASNs
//! in range, BFD timers in Megaport's bounds.

use std::net::IpAddr;

use serde_json::Value;

use super::envelope::ApiError;

/// 0 is not an ASN, and 4294967295 is reserved (RFC 7300).
const ASN_MAX: i64 = 4_294_967_294;
/// Megaport's MCR BFD bounds: transmit and receive intervals 300-9000 ms, multiplier 3-20.
const BFD_INTERVAL_MS: std::ops::RangeInclusive<i64> = 300..=9000;
const BFD_MULTIPLIER: std::ops::RangeInclusive<i64> = 3..=20;

/// The config as given when it is valid; a 400 naming the first wrong field otherwise.
pub(crate) fn check(config: &Value) -> Result<Value, ApiError> {
    let bad = |field: String, problem: &str| {
        Err(ApiError::bad_request(format!(
            "bEndConfig.{field} is invalid: {problem}"
        )))
    };
    let Some(interfaces) = config.get("interfaces").and_then(Value::as_array) else {
        return bad(
            "interfaces".into(),
            "a vrouter config needs a list of interfaces",
        );
    };
    if interfaces.is_empty() {
        return bad("interfaces".into(), "at least one interface is required");
    }
    for (i, interface) in interfaces.iter().enumerate() {
        let at = |field: &str| format!("interfaces[{i}].{field}");
        for (j, address) in strings(interface, "ipAddresses").enumerate() {
            if !is_cidr(address) {
                return bad(
                    format!("{}[{j}]", at("ipAddresses")),
                    "an interface address needs a prefix length, e.g. 169.254.100.1/30",
                );
            }
        }
        if let Some(bfd) = interface.get("bfd").filter(|bfd| !bfd.is_null()) {
            for (field, range) in [
                ("txInterval", &BFD_INTERVAL_MS),
                ("rxInterval", &BFD_INTERVAL_MS),
                ("multiplier", &BFD_MULTIPLIER),
            ] {
                if let Some(value) = bfd.get(field).and_then(Value::as_i64)
                    && value != 0
                    && !range.contains(&value)
                {
                    return bad(
                        format!("{}.{field}", at("bfd")),
                        &format!("must be {}-{}", range.start(), range.end()),
                    );
                }
            }
        }
        let sessions = interface
            .get("bgpConnections")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (j, session) in sessions.iter().enumerate() {
            let at = |field: &str| format!("interfaces[{i}].bgpConnections[{j}].{field}");
            match session.get("peerAsn").and_then(Value::as_i64) {
                Some(asn) if (1..=ASN_MAX).contains(&asn) => {}
                _ => return bad(at("peerAsn"), "an ASN is 1-4294967294"),
            }
            if let Some(asn) = session.get("localAsn").filter(|v| !v.is_null())
                && !asn.as_i64().is_some_and(|asn| (1..=ASN_MAX).contains(&asn))
            {
                return bad(at("localAsn"), "an ASN is 1-4294967294");
            }
            for field in ["localIpAddress", "peerIpAddress"] {
                let address = session.get(field).and_then(Value::as_str).unwrap_or("");
                if address.parse::<IpAddr>().is_err() {
                    return bad(
                        at(field),
                        "a BGP address is an IP address without a prefix length",
                    );
                }
            }
        }
    }
    Ok(config.clone())
}

fn strings<'a>(value: &'a Value, field: &str) -> impl Iterator<Item = &'a str> {
    value
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| item.as_str().unwrap_or(""))
}

fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    match (address.parse::<IpAddr>(), prefix.parse::<u8>()) {
        (Ok(IpAddr::V4(_)), Ok(bits)) => bits <= 32,
        (Ok(IpAddr::V6(_)), Ok(bits)) => bits <= 128,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(address: &str, peer_asn: i64, peer_ip: &str) -> Value {
        json!({"interfaces": [{
            "ipAddresses": [address],
            "bfd": {"txInterval": 300, "rxInterval": 300, "multiplier": 3},
            "bgpConnections": [{"peerAsn": peer_asn, "localIpAddress": "169.254.10.1",
                                "peerIpAddress": peer_ip, "password": "s3cret", "bfdEnabled": true}]
        }]})
    }

    #[test]
    fn a_config_as_megaport_documents_it_is_accepted() {
        assert!(check(&config("169.254.10.1/30", 64512, "169.254.10.2")).is_ok());
        assert!(check(&config("2001:db8::1/64", 4_200_000_000, "2001:db8::2")).is_ok());
    }

    #[test]
    fn each_wrong_field_is_named() {
        let message = |c: Value| check(&c).unwrap_err().message;
        assert!(
            message(config("169.254.10.1", 64512, "169.254.10.2"))
                .contains("interfaces[0].ipAddresses[0]")
        );
        assert!(
            message(config("169.254.10.1/30", 0, "169.254.10.2"))
                .contains("bgpConnections[0].peerAsn")
        );
        assert!(
            message(config("169.254.10.1/30", 4_294_967_295, "169.254.10.2")).contains("peerAsn")
        );
        assert!(
            message(config("169.254.10.1/30", 64512, "169.254.10.2/30"))
                .contains("bgpConnections[0].peerIpAddress")
        );
        assert!(message(json!({"interfaces": []})).contains("at least one interface"));
        let mut slow = config("169.254.10.1/30", 64512, "169.254.10.2");
        slow["interfaces"][0]["bfd"]["multiplier"] = json!(50);
        assert!(message(slow).contains("bfd.multiplier"));
    }
}
