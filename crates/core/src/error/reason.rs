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
    OutsideCallerBinding = 44 => "OUTSIDE_CALLER_BINDING",
    WebhookEndpointNotFound = 45 => "WEBHOOK_ENDPOINT_NOT_FOUND",
    WebhookDeliveryNotFound = 46 => "WEBHOOK_DELIVERY_NOT_FOUND",
    WebhooksNotConfigured = 47 => "WEBHOOKS_NOT_CONFIGURED",
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

    /// The workspace's code outside tests (the domain, the store, the server...), by file: unit
    /// tests sit at the bottom of a file, so only what is above the first `#[cfg(test)]` counts.
    fn workspace_sources() -> Vec<(std::path::PathBuf, String)> {
        fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).expect("src dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|ext| ext == "rs")
                    && !path.ends_with("error/reason.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("source");
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    out.push((path, code.to_owned()));
                }
            }
        }
        let mut files = Vec::new();
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for krate in std::fs::read_dir(&crates).expect("crates dir") {
            let src = krate.expect("crate").path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        files
    }

    /// Every reason the proto promises is produced somewhere outside tests, so the enum never
    /// again lists reasons no caller can see. UNSPECIFIED is the proto's zero value.
    #[test]
    fn every_reason_has_a_producer() {
        let code: String = workspace_sources()
            .into_iter()
            .map(|(_, code)| code)
            .collect();
        let unproduced: Vec<_> = ErrorReason::ALL
            .iter()
            .filter(|reason| **reason != ErrorReason::Unspecified)
            .map(|reason| format!("{reason:?}"))
            .filter(|variant| !code.contains(&format!("ErrorReason::{variant}")))
            .collect();
        assert!(unproduced.is_empty(), "never produced: {unproduced:?}");
    }

    /// The metadata keys `error_reason.proto` promises with each reason, each promise a list of
    /// alternatives (`"order_id" or "vxc_uid"`): the quoted names after "metadata" in its
    /// comment, up to the end of that sentence. A promise made only "when known", by one RPC
    /// alone ("adds"), or for some calls ("and for orders ...") is not made for every producer,
    /// and is left out.
    fn promised_metadata() -> Vec<(ErrorReason, Vec<Vec<String>>)> {
        let proto = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../proto/onramp/v1/error_reason.proto");
        let text = std::fs::read_to_string(proto).expect("error_reason.proto");
        let mut comment = String::new();
        let mut promises = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(words) = line.strip_prefix("//") {
                comment.push(' ');
                comment.push_str(words.trim());
                continue;
            }
            if let Some(name) = line
                .strip_prefix("ERROR_REASON_")
                .and_then(|rest| rest.split_whitespace().next())
            {
                let reason = ErrorReason::from_name(name).expect("a reason the enum has");
                let mut keys: Vec<Vec<String>> = Vec::new();
                for (index, _) in comment.match_indices("metadata \"") {
                    let clause = &comment[index..];
                    let clause = &clause[..clause.find(". ").unwrap_or(clause.len())];
                    let clause = &clause[..clause.find(", and for").unwrap_or(clause.len())];
                    let before = &comment[index.saturating_sub(6)..index];
                    if clause.contains("when known") || before.contains("adds") {
                        continue;
                    }
                    // Quoted names at odd positions, the words between them at even ones.
                    let parts: Vec<&str> = clause.split('"').collect();
                    for (position, key) in parts.iter().enumerate().skip(1).step_by(2) {
                        let between = parts[position - 1];
                        let alternative = between.contains(" or ") || between == "/";
                        match keys.last_mut() {
                            Some(group) if alternative && position > 1 => {
                                group.push((*key).to_owned());
                            }
                            _ => keys.push(vec![(*key).to_owned()]),
                        }
                    }
                }
                if !keys.is_empty() {
                    promises.push((reason, keys));
                }
            }
            comment.clear();
        }
        promises
    }

    /// The nearest char boundary of `text` at or before `index`.
    fn floor(text: &str, mut index: usize) -> usize {
        while !text.is_char_boundary(index) {
            index -= 1;
        }
        index
    }

    /// Every producer of a reason attaches the metadata keys the proto promises with it: each
    /// `reason: ErrorReason::X` or `.with_reason(ErrorReason::X)` outside tests is followed,
    /// before the next reason, by each promised key as a string literal
    /// (`.with_meta("port_uid", ...)`). Clients branch on these keys.
    #[test]
    fn every_producer_attaches_the_promised_metadata() {
        // Megaport's errors are mapped to reasons in one place, without the call they came
        // from: each write names what it concerned with `Error::naming_write` where its error
        // leaves onramp, and the faulted connection test (approvals_lifecycle) checks that for
        // the buy, the approval decisions, the VXC change and the cancellations.
        const CONTEXT_FREE: [(&str, ErrorReason); 1] =
            [("server/src/error.rs", ErrorReason::UpstreamOutcomeUnknown)];
        let files = workspace_sources();
        let promises = promised_metadata();
        assert!(
            promises.len() >= 20,
            "the proto's promises were not read: {promises:?}"
        );
        let mut missing = Vec::new();
        for ((reason, keys), (path, code)) in promises
            .iter()
            .flat_map(|promise| files.iter().map(move |file| (promise, file)))
        {
            if CONTEXT_FREE
                .iter()
                .any(|(file, exempt)| path.ends_with(file) && exempt == reason)
            {
                continue;
            }
            let variant = format!("ErrorReason::{reason:?}");
            for (index, _) in code.match_indices(&variant) {
                let lead = &code[floor(code, index.saturating_sub(13))..index];
                let after = &code[index + variant.len()..];
                // `ErrorReason::Key` must not match `ErrorReason::KeyUsed`.
                if after.starts_with(|c: char| c.is_alphanumeric())
                    || !(lead.ends_with("reason: ") || lead.ends_with("with_reason("))
                {
                    continue;
                }
                // The producing expression: up to the next reason, blank line or function.
                let end = ["ErrorReason::", "\n\n", "fn "]
                    .iter()
                    .filter_map(|stop| after.find(stop))
                    .min()
                    .unwrap_or(after.len())
                    .min(1_200);
                let window = &after[..floor(after, end)];
                // A pattern (`Error::Unavailable { reason: ..., .. }`) matches; it produces nothing.
                let fields = &window[..window.find('}').unwrap_or(window.len())];
                if fields.trim_end().ends_with("..") {
                    continue;
                }
                for alternatives in keys {
                    let attached = alternatives
                        .iter()
                        .any(|key| window.contains(&format!("\"{key}\"")));
                    if !attached {
                        let context: String = window.lines().take(3).collect::<Vec<_>>().join(" ");
                        missing.push(format!(
                            "{variant} in {} ({context:?}) lacks {alternatives:?}",
                            path.display()
                        ));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
