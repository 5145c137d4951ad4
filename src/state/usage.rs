//! API keys and usage plans (REST): account-level objects, not part of any one API, shared
//! by desired and observed state.
//!
//! gwctl owns the keys and plans it creates through two tags: its ownership tag
//! ([`super::OWNER_TAG_KEY`]) and [`API_TAG_KEY`], the name of the REST API they were made
//! for. A re-run finds them by (name, tags) and never creates a second one. Keys referenced
//! by id in the spec are attached to plans, never changed or deleted.
//!
//! Key *values* never appear in these shapes: a key whose value comes from the environment
//! carries only a keyed digest of it ([`value_hmac`]: HMAC-SHA256 keyed with a random salt
//! of the key's own), stored in the key's [`VALUE_HMAC_TAG_KEY`] and [`VALUE_SALT_TAG_KEY`]
//! tags, so that a changed value is noticed without reading any value back, and a guess of
//! the value cannot be tested offline against a table: each key has its own salt.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Tag naming the REST API a gwctl-owned usage plan or API key belongs to.
pub const API_TAG_KEY: &str = "gwctl:api";
/// Tag holding [`value_hmac`] of an API key value gwctl read from the environment.
pub const VALUE_HMAC_TAG_KEY: &str = "gwctl:value-hmac";
/// Tag holding the random salt (hex) that keys the key's [`VALUE_HMAC_TAG_KEY`].
pub const VALUE_SALT_TAG_KEY: &str = "gwctl:value-salt";
/// The unsalted digest earlier versions of gwctl stored ([`legacy_value_digest`]): read only
/// to recognise a key's value once, then replaced by the salted tags and removed.
pub const LEGACY_VALUE_DIGEST_TAG_KEY: &str = "gwctl:value-sha256";
/// Bytes of salt per key (from the operating system's random source).
pub const SALT_LEN: usize = 16;

/// Prefix of the digested message, so a digest of a key value is never that of the bare
/// value.
const VALUE_PREFIX: &str = "gwctl-api-key-value:";

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> [u8; BLOCK] { std::array::from_fn(|i| k[i] ^ byte) };
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A salt (hex, as stored in the [`VALUE_SALT_TAG_KEY`] tag) from [`SALT_LEN`] random bytes
/// the caller drew.
pub fn salt_from_bytes(bytes: [u8; SALT_LEN]) -> String {
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The digest stored for a key value: HMAC-SHA256, keyed with the key's salt (hex, as in
/// its [`VALUE_SALT_TAG_KEY`] tag), of a fixed prefix and the value, in hex. `None` when the
/// salt is not hex of at least [`SALT_LEN`] bytes (a tag not written by gwctl).
pub fn value_hmac(salt: &str, value: &str) -> Option<String> {
    let key = unhex(salt).filter(|k| k.len() >= SALT_LEN)?;
    Some(hex(&hmac_sha256(
        &key,
        format!("{VALUE_PREFIX}{value}").as_bytes(),
    )))
}

/// The unsalted digest of [`LEGACY_VALUE_DIGEST_TAG_KEY`]: the first 32 hex digits of
/// SHA-256 over the prefix and the value. Only compared, never written.
pub fn legacy_value_digest(value: &str) -> String {
    let d = Sha256::digest(format!("{VALUE_PREFIX}{value}").as_bytes());
    hex(&d[..16])
}

/// What an API key's tags say about its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueTag {
    /// [`VALUE_SALT_TAG_KEY`] and [`VALUE_HMAC_TAG_KEY`].
    Keyed { salt: String, hmac: String },
    /// Only the unsalted [`LEGACY_VALUE_DIGEST_TAG_KEY`] of an earlier gwctl. Serialised
    /// without the digest, so no plan file or fingerprint carries it.
    Legacy(#[serde(serialize_with = "redacted")] String),
}

fn redacted<S: Serializer>(_: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("(unsalted digest, not shown)")
}

impl ValueTag {
    /// The keyed digest of `value` under `salt`, a fresh salt of [`SALT_LEN`] bytes in hex
    /// (the caller draws it: state does no I/O); `None` when `salt` is not one.
    pub fn new_keyed(value: &str, salt: String) -> Option<ValueTag> {
        let hmac = value_hmac(&salt, value)?;
        Some(ValueTag::Keyed { salt, hmac })
    }

    /// Read from a key's tags: the salted pair when both are there, else the legacy digest.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Option<ValueTag> {
        match (tags.get(VALUE_SALT_TAG_KEY), tags.get(VALUE_HMAC_TAG_KEY)) {
            (Some(salt), Some(hmac)) => Some(ValueTag::Keyed {
                salt: salt.clone(),
                hmac: hmac.clone(),
            }),
            _ => tags
                .get(LEGACY_VALUE_DIGEST_TAG_KEY)
                .map(|d| ValueTag::Legacy(d.clone())),
        }
    }

    /// The tags that store this digest (a legacy digest is never written again).
    pub fn tags(&self) -> BTreeMap<String, String> {
        match self {
            ValueTag::Keyed { salt, hmac } => BTreeMap::from([
                (VALUE_SALT_TAG_KEY.to_string(), salt.clone()),
                (VALUE_HMAC_TAG_KEY.to_string(), hmac.clone()),
            ]),
            ValueTag::Legacy(_) => BTreeMap::new(),
        }
    }

    /// Whether `value` is the value this tag was made from.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ValueTag::Keyed { salt, hmac } => {
                value_hmac(salt, value).is_some_and(|h| h.eq_ignore_ascii_case(hmac))
            }
            ValueTag::Legacy(d) => legacy_value_digest(value).eq_ignore_ascii_case(d),
        }
    }
}

/// Steady-state rate and burst (usage plans and their per-method throttles).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Throttle {
    pub rate: f64,
    pub burst: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quota {
    pub limit: i32,
    /// DAY | WEEK | MONTH
    pub period: String,
    pub offset: i32,
}

/// A usage plan's settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsagePlan {
    pub description: Option<String>,
    pub throttle: Option<Throttle>,
    pub quota: Option<Quota>,
    /// The API stages covered, as `{api id}:{stage}` (desired state writes this API's id as
    /// the `{api_id}` placeholder) -> per-method throttle, keyed `{resource path}/{METHOD}`
    /// (`/tasks/POST`; the root is `//GET`).
    pub api_stages: BTreeMap<String, BTreeMap<String, Throttle>>,
}

/// An API key's settings gwctl manages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ApiKey {
    pub description: Option<String>,
    pub enabled: bool,
    /// The digest of the value gwctl set from the environment, as its tags hold it; `None`
    /// when AWS generated the value.
    pub value_tag: Option<ValueTag>,
}

/// A usage plan gwctl created for this API, as read.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedUsagePlan {
    pub id: String,
    pub name: String,
    pub def: UsagePlan,
    /// Ids of the API keys attached (get-usage-plan-keys).
    pub key_ids: BTreeSet<String>,
}

/// An API key gwctl created for this API, as read (never with its value).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedApiKey {
    pub id: String,
    pub name: String,
    pub created_epoch: Option<i64>,
    pub def: ApiKey,
}

/// What exists of the account's usage plans and API keys, as far as one API is concerned.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObservedUsage {
    /// Plans carrying gwctl's ownership tag and this API's name, ordered by (name, id).
    pub plans: Vec<ObservedUsagePlan>,
    /// Keys carrying gwctl's ownership tag and this API's name, ordered by (name, created, id).
    pub keys: Vec<ObservedApiKey>,
    /// Every API key of the account: id -> name (keys referenced by id, labels).
    pub key_names: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "a-key-value-of-twenty-or-more-characters";

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231, test cases 1 and 6 (a key longer than the block size).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_digest_changes_with_the_value_and_with_the_salt() {
        let salt = "00112233445566778899aabbccddeeff";
        let d = value_hmac(salt, V).unwrap();
        assert_eq!(d.len(), 64);
        assert_eq!(value_hmac(salt, V), Some(d.clone()), "deterministic");
        assert_ne!(value_hmac(salt, &format!("{V}x")), Some(d.clone()));
        let other = "ffeeddccbbaa99887766554433221100";
        assert_ne!(
            value_hmac(other, V),
            Some(d.clone()),
            "same value, other salt"
        );
        assert_ne!(d, legacy_value_digest(V)[..].to_string());
        assert!(!d.contains(&legacy_value_digest(V)));
        // a salt gwctl did not write is refused rather than trusted
        assert_eq!(value_hmac("abc", V), None);
        assert_eq!(value_hmac("0011", V), None, "too short");
    }

    #[test]
    fn fresh_salts_differ_and_the_tag_matches_only_its_value() {
        let (a, b) = (
            ValueTag::new_keyed(V, salt_from_bytes([1; SALT_LEN])).unwrap(),
            ValueTag::new_keyed(V, salt_from_bytes([2; SALT_LEN])).unwrap(),
        );
        assert_ne!(a, b, "each key gets its own salt");
        assert_eq!(ValueTag::new_keyed(V, "abc".into()), None, "not a salt");
        let ValueTag::Keyed { salt, .. } = &a else {
            panic!()
        };
        assert_eq!(salt.len(), SALT_LEN * 2);
        assert!(a.matches(V) && b.matches(V));
        assert!(!a.matches("another-value-of-twenty-characters"));
        let tags = a.tags();
        assert_eq!(ValueTag::from_tags(&tags), Some(a.clone()));
        assert!(!tags.contains_key(LEGACY_VALUE_DIGEST_TAG_KEY));
        let legacy = BTreeMap::from([(
            LEGACY_VALUE_DIGEST_TAG_KEY.to_string(),
            legacy_value_digest(V),
        )]);
        let l = ValueTag::from_tags(&legacy).unwrap();
        assert!(l.matches(V) && !l.matches("another-value-of-twenty-characters"));
        assert!(l.tags().is_empty(), "never written again");
        let json = serde_json::to_string(&l).unwrap();
        assert!(!json.contains(&legacy_value_digest(V)), "{json}");
    }
}
