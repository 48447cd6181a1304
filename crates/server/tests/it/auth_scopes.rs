//! Every RPC in the published contract has an entry in the scope table, and the table names no
//! RPC that does not exist. A new RPC without a policy fails here, not in production.

use onramp_server::auth::scopes::{Policy, TABLE, policy};
use prost::Message;
use prost_types::FileDescriptorSet;

fn contract_methods() -> Vec<String> {
    let set = FileDescriptorSet::decode(onramp_proto::FILE_DESCRIPTOR_SET).expect("descriptor set");
    let mut methods = Vec::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            for method in &service.method {
                methods.push(format!("/{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    methods
}

#[test]
fn every_rpc_in_the_descriptor_set_has_a_scope() {
    let methods = contract_methods();
    assert!(methods.len() >= 26, "descriptor walk found {methods:?}");
    let missing: Vec<_> = methods
        .iter()
        .filter(|method| !matches!(policy(method), Some(Policy::Requires { .. })))
        .collect();
    assert!(missing.is_empty(), "RPCs without a scope: {missing:?}");
}

#[test]
fn the_table_names_only_real_rpcs() {
    let methods = contract_methods();
    let stale: Vec<_> = TABLE
        .iter()
        .map(|(path, _, _)| *path)
        .filter(|path| !methods.iter().any(|method| method == path))
        .collect();
    assert!(stale.is_empty(), "table entries for no RPC: {stale:?}");
}

#[test]
fn answers_are_kept_only_for_real_reads() {
    let methods = contract_methods();
    let kept = onramp_server::api::catalog::KEPT_READS
        .iter()
        .chain(onramp_server::api::service_keys::KEPT_READS);
    for &read in kept {
        assert!(
            methods.iter().any(|method| method == read),
            "{read} is no RPC"
        );
        assert!(
            matches!(
                policy(read),
                Some(Policy::Requires {
                    mutating: false,
                    ..
                })
            ),
            "{read} is not a read"
        );
    }
}

#[test]
fn writes_need_write_scopes_and_only_writes_are_mutating() {
    for (path, scope, mutating) in TABLE {
        let method = path.rsplit('/').next().unwrap_or_default();
        let writes = [
            "Create",
            "Update",
            "Delete",
            "Deactivate",
            "Issue",
            "Approve",
            "Reject",
            "Change",
            "Cancel",
            "Uncancel",
            "Rotate",
            "Send",
            "Retry",
            "Recover",
        ]
        .iter()
        .any(|verb| method.starts_with(verb));
        assert_eq!(*mutating, writes, "{path}");
        if writes {
            assert!(
                scope.as_str().ends_with(".write"),
                "{path} needs a write scope"
            );
        }
    }
}

/// Deciding an approval is one scope whichever service the call comes through, and not the
/// scope that buys: a caller that orders for customers cannot approve what it ordered.
#[test]
fn approving_is_one_scope_whichever_service_and_not_the_buyers() {
    let deciding: Vec<_> = TABLE
        .iter()
        .filter(|(path, _, _)| {
            let method = path.rsplit('/').next().unwrap_or_default();
            method.starts_with("Approve") || method.starts_with("Reject")
        })
        .collect();
    assert_eq!(deciding.len(), 4, "{deciding:?}");
    let scopes: std::collections::BTreeSet<&str> = deciding
        .iter()
        .map(|(_, scope, _)| scope.as_str())
        .collect();
    assert_eq!(scopes.len(), 1, "{deciding:?}");
    let buying = TABLE
        .iter()
        .find(|(path, _, _)| path.ends_with("/CreateVxcOrder"))
        .map(|(_, scope, _)| scope.as_str());
    assert!(!scopes.contains(buying.expect("CreateVxcOrder")));
}
