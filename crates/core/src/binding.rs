//! What a caller may see and act for: the Megaport accounts it may act as and the customers
//! (`customer_ref`s) whose keys, orders and approvals it may see. A provider puts onramp behind
//! several systems (a storefront acting for one customer at a time, a billing job, a console);
//! binding each caller keeps one customer's system out of another's business.
//!
//! An empty list means all, as for a caller with no binding. Reads are filtered (a bound caller
//! sees its own, and a single resource it may not see is NOT_FOUND, so existence does not leak);
//! acting for someone else is refused with PERMISSION_DENIED and
//! [`ErrorReason::OutsideCallerBinding`].

use std::collections::BTreeSet;

use crate::{Error, ErrorReason};

/// A caller's binding. Equal bindings see equal things, which is what lets answers be shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Binding {
    /// `None`: every configured account.
    accounts: Option<BTreeSet<String>>,
    /// `None`: every customer, and keys and approvals with no customer_ref.
    customers: Option<BTreeSet<String>>,
}

impl Binding {
    /// A binding to `accounts` and `customers`; an empty list binds nothing on that side.
    pub fn new(
        accounts: impl IntoIterator<Item = String>,
        customers: impl IntoIterator<Item = String>,
    ) -> Self {
        let set = |names: BTreeSet<String>| (!names.is_empty()).then_some(names);
        Self {
            accounts: set(accounts.into_iter().collect()),
            customers: set(customers.into_iter().collect()),
        }
    }

    /// Sees and may act for everything.
    pub fn is_unbound(&self) -> bool {
        self.accounts.is_none() && self.customers.is_none()
    }

    /// The accounts the caller is bound to; `None` when it may use any.
    pub fn accounts(&self) -> Option<&BTreeSet<String>> {
        self.accounts.as_ref()
    }

    pub fn sees_account(&self, account: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|accounts| accounts.contains(account))
    }

    /// Whether the caller sees what belongs to `customer_ref` (a key, an approval). A bound
    /// caller does not see records without a customer_ref: nobody bound them to it.
    pub fn sees_customer(&self, customer_ref: &str) -> bool {
        self.customers
            .as_ref()
            .is_none_or(|customers| customers.contains(customer_ref))
    }

    /// Refuses acting as `account` (already resolved: never empty) when the caller is bound to
    /// other accounts.
    pub fn check_account(&self, caller: &str, account: &str) -> Result<(), Error> {
        if self.sees_account(account) {
            return Ok(());
        }
        Err(Error::PermissionDenied {
            reason: ErrorReason::OutsideCallerBinding,
            message: format!("caller `{caller}` may not act as megaport account `{account}`"),
        }
        .with_meta("caller", caller)
        .with_meta("account", account))
    }

    /// Refuses acting for `customer_ref` (a new key's) when the caller is bound to other
    /// customers; an empty customer_ref would make a key the caller could not see.
    pub fn check_customer(&self, caller: &str, customer_ref: &str) -> Result<(), Error> {
        if self.sees_customer(customer_ref) {
            return Ok(());
        }
        let message = if customer_ref.is_empty() {
            format!("caller `{caller}` is bound to customers: customer_ref is required")
        } else {
            format!("caller `{caller}` may not act for customer_ref `{customer_ref}`")
        };
        Err(Error::PermissionDenied {
            reason: ErrorReason::OutsideCallerBinding,
            message,
        }
        .with_meta("caller", caller)
        .with_meta("customer_ref", customer_ref))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta<'a>(error: &'a Error, key: &str) -> Option<&'a str> {
        match error {
            Error::Annotated { metadata, .. } => metadata.get(key).map(String::as_str),
            _ => None,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn empty_lists_bind_nothing() {
        let binding = Binding::new(Vec::new(), Vec::new());
        assert!(binding.is_unbound());
        assert!(binding.sees_account("globex"));
        assert!(binding.sees_customer(""));
        assert!(binding.check_customer("storefront", "globex").is_ok());
    }

    #[test]
    fn a_bound_caller_sees_and_acts_for_its_own_only() {
        let binding = Binding::new(names(&["acme"]), names(&["acme", "acme-eu"]));
        assert!(!binding.is_unbound());
        assert!(binding.sees_customer("acme-eu"));
        assert!(!binding.sees_customer("globex"));
        assert!(!binding.sees_customer(""), "a key for nobody is nobody's");
        assert!(binding.check_account("storefront", "acme").is_ok());

        let refused = binding
            .check_account("storefront", "globex")
            .expect_err("other account");
        assert_eq!(refused.reason(), ErrorReason::OutsideCallerBinding);
        assert_eq!(meta(&refused, "account"), Some("globex"));
        assert_eq!(meta(&refused, "caller"), Some("storefront"));
        let refused = binding
            .check_customer("storefront", "")
            .expect_err("a key for nobody");
        assert!(
            refused.to_string().contains("customer_ref is required"),
            "{refused}"
        );
    }

    #[test]
    fn equal_bindings_are_equal_whatever_the_order() {
        assert_eq!(
            Binding::new(names(&["b", "a"]), Vec::new()),
            Binding::new(names(&["a", "b", "a"]), Vec::new())
        );
        assert_ne!(
            Binding::new(names(&["a"]), Vec::new()),
            Binding::new(Vec::new(), names(&["a"]))
        );
    }
}
