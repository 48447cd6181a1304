//! `page_size` / `page_token` handling shared by every List RPC.

use crate::error::FieldViolation;

/// Page size used when the caller sends 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Larger requested page sizes are capped to this.
pub const MAX_PAGE_SIZE: usize = 500;

/// Resolves `page_size`: 0 means the default, values above the maximum are capped, negative values
/// are refused.
pub fn page_size(requested: i32) -> Result<usize, FieldViolation> {
    match usize::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(FieldViolation::new(
            "page_size",
            format!("must be between 0 and {MAX_PAGE_SIZE}, got {requested}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_the_default_and_large_values_are_capped() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(10_000), Ok(MAX_PAGE_SIZE));
    }

    #[test]
    fn negative_is_refused_naming_the_field() {
        let violation = page_size(-1).expect_err("negative");
        assert_eq!(violation.field, "page_size");
        assert!(violation.description.contains("-1"));
    }
}
