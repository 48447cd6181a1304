//! The error every section of the configuration reports, in a module of its own so that each
//! component can own and validate its settings without depending on `config`, which only
//! aggregates them.

/// Why the configuration was refused. The message always names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Parse(String),
    #[error("config key `{key}`: {problem}")]
    Invalid { key: &'static str, problem: String },
}

/// `Err` naming `key` when `value` is 0.
pub fn positive(key: &'static str, value: u64) -> Result<u64, ConfigError> {
    if value == 0 {
        return Err(ConfigError::Invalid {
            key,
            problem: "must be greater than 0".to_owned(),
        });
    }
    Ok(value)
}
