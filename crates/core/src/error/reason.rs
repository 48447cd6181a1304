//! Why a call failed, as `google.rpc.ErrorInfo.reason` tells clients. This mirrors the
//! `ErrorReason` enum of `proto/onramp/v1/error_reason.proto`, so the domain and the store name
//! reasons without seeing generated types (only the server's gRPC adapters do). A test in the
//! server checks that the two agree value by value; the numbers are also what the order journal
//! stores.

macro_rules! reasons {
    ($($variant:ident = $number:literal => $name:literal,)*) => {
        /// One reason; the name clients see is the proto value name without `ERROR_REASON_`.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum ErrorReason {
            #[default]
            $($variant = $number,)*
        }

        impl ErrorReason {
            pub const ALL: &[ErrorReason] = &[$(ErrorReason::$variant,)*];

            /// The `ErrorInfo.reason` string, e.g. `VLAN_IN_USE`.
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorReason::$variant => $name,)*
                }
            }
        }
    };
}

reasons! {
    Unspecified = 0 => "UNSPECIFIED",
    InvalidField = 1 => "INVALID_FIELD",
    RegionNotFound = 2 => "REGION_NOT_FOUND",
    RegionAlreadyExists = 3 => "REGION_ALREADY_EXISTS",
    OnRampNotFound = 4 => "ON_RAMP_NOT_FOUND",
    UnknownLocation = 5 => "UNKNOWN_LOCATION",
    NoEligibleOnRamp = 6 => "NO_ELIGIBLE_ON_RAMP",
    NoDiversePair = 7 => "NO_DIVERSE_PAIR",
    InsufficientCapacity = 8 => "INSUFFICIENT_CAPACITY",
    VlanInUse = 9 => "VLAN_IN_USE",
    VlanExhausted = 10 => "VLAN_EXHAUSTED",
    SpeedAboveLimit = 11 => "SPEED_ABOVE_LIMIT",
    KeyNotFound = 12 => "KEY_NOT_FOUND",
    KeyExpired = 13 => "KEY_EXPIRED",
    KeyInactive = 14 => "KEY_INACTIVE",
    KeyNotYetValid = 15 => "KEY_NOT_YET_VALID",
    KeyUsed = 16 => "KEY_USED",
    RequestIdReused = 17 => "REQUEST_ID_REUSED",
    OrderNotFound = 18 => "ORDER_NOT_FOUND",
    OrderNotAwaitingApproval = 19 => "ORDER_NOT_AWAITING_APPROVAL",
    AccountNotFound = 20 => "ACCOUNT_NOT_FOUND",
    PortNotOwned = 21 => "PORT_NOT_OWNED",
    UpstreamUnavailable = 22 => "UPSTREAM_UNAVAILABLE",
    UpstreamRateLimited = 23 => "UPSTREAM_RATE_LIMITED",
    UpstreamRejected = 24 => "UPSTREAM_REJECTED",
    UpstreamOutcomeUnknown = 25 => "UPSTREAM_OUTCOME_UNKNOWN",
    UpstreamAuthFailed = 26 => "UPSTREAM_AUTH_FAILED",
    UpstreamMalformedResponse = 27 => "UPSTREAM_MALFORMED_RESPONSE",
    UpstreamNotFound = 28 => "UPSTREAM_NOT_FOUND",
    WatchSubscriberTooSlow = 29 => "WATCH_SUBSCRIBER_TOO_SLOW",
    ResumeTokenInvalid = 30 => "RESUME_TOKEN_INVALID",
    CallerUnauthenticated = 31 => "CALLER_UNAUTHENTICATED",
    ScopeMissing = 32 => "SCOPE_MISSING",
    CallerRateLimited = 33 => "CALLER_RATE_LIMITED",
    NotImplemented = 34 => "NOT_IMPLEMENTED",
    Internal = 35 => "INTERNAL",
    ShuttingDown = 36 => "SHUTTING_DOWN",
    OnRampNotUsable = 37 => "ON_RAMP_NOT_USABLE",
    UpstreamResponseTooLarge = 38 => "UPSTREAM_RESPONSE_TOO_LARGE",
    ServiceUpdateTooSoon = 39 => "SERVICE_UPDATE_TOO_SOON",
    ApprovalNotFound = 40 => "APPROVAL_NOT_FOUND",
    ApprovalNotPending = 41 => "APPROVAL_NOT_PENDING",
    VxcEnded = 42 => "VXC_ENDED",
    VxcChangePending = 43 => "VXC_CHANGE_PENDING",
}

impl ErrorReason {
    /// The proto number, as stored and sent.
    pub fn number(self) -> i32 {
        self as i32
    }

    pub fn from_number(number: i32) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|reason| reason.number() == number)
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|reason| reason.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorReason;

    #[test]
    fn names_and_numbers_round_trip() {
        for &reason in ErrorReason::ALL {
            assert_eq!(ErrorReason::from_name(reason.name()), Some(reason));
            assert_eq!(ErrorReason::from_number(reason.number()), Some(reason));
        }
        assert_eq!(ErrorReason::from_name("ERROR_REASON_VLAN_IN_USE"), None);
        assert_eq!(ErrorReason::from_number(-1), None);
    }

    /// Every reason the proto promises is produced somewhere outside tests, so the enum never
    /// again lists reasons no caller can see. UNSPECIFIED is the proto's zero value.
    #[test]
    fn every_reason_has_a_producer() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).expect("src dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|ext| ext == "rs")
                    && !path.ends_with("error/reason.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("source");
                    // Unit tests sit at the bottom of a file; only what is above them counts.
                    out.push_str(text.split("#[cfg(test)]").next().unwrap_or_default());
                }
            }
        }
        // Reasons are produced across the workspace: the domain, the store and the server.
        let mut code = String::new();
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for krate in std::fs::read_dir(&crates).expect("crates dir") {
            let src = krate.expect("crate").path().join("src");
            if src.is_dir() {
                sources(&src, &mut code);
            }
        }
        let unproduced: Vec<_> = ErrorReason::ALL
            .iter()
            .filter(|reason| **reason != ErrorReason::Unspecified)
            .map(|reason| format!("{reason:?}"))
            .filter(|variant| !code.contains(&format!("ErrorReason::{variant}")))
            .collect();
        assert!(unproduced.is_empty(), "never produced: {unproduced:?}");
    }
}
