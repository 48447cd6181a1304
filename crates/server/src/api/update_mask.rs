//! `update_mask` handling shared by every Update RPC.

use prost_types::FieldMask;

use crate::error::FieldViolation;

/// The mask's paths, with a violation for an empty mask and for each path not in `allowed`.
pub(super) fn checked_paths(
    mask: Option<FieldMask>,
    allowed: &[&str],
    violations: &mut Vec<FieldViolation>,
) -> Vec<String> {
    let paths = mask.map(|mask| mask.paths).unwrap_or_default();
    if paths.is_empty() {
        violations.push(FieldViolation::new(
            "update_mask",
            format!("must list at least one of: {}", allowed.join(", ")),
        ));
    }
    for (index, path) in paths.iter().enumerate() {
        if !allowed.contains(&path.as_str()) {
            violations.push(FieldViolation::new(
                format!("update_mask.paths[{index}]"),
                format!(
                    "`{path}` cannot be updated; allowed: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_masks_and_unknown_paths_are_named() {
        let mut violations = Vec::new();
        checked_paths(None, &["a"], &mut violations);
        assert_eq!(violations[0].field, "update_mask");
        let mut violations = Vec::new();
        let paths = checked_paths(
            Some(FieldMask {
                paths: vec!["a".into(), "b".into()],
            }),
            &["a"],
            &mut violations,
        );
        assert_eq!(paths, ["a", "b"]);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "update_mask.paths[1]");
    }
}
