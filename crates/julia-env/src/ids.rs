//! Identifiers in Pkg's files: package UUIDs and git tree hashes (`git-tree-sha1`).

use std::fmt;
use std::str::FromStr;

pub use uuid::Uuid;

/// Parses a UUID exactly as Julia's `tryparse(UUID, s)`: 36 characters, hyphens at the
/// canonical positions, hex digits of either case elsewhere. (The `uuid` crate alone would also
/// accept braced, URN and hyphen-less forms, which Julia rejects.)
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            c == b'-'
        } else {
            c.is_ascii_hexdigit()
        };
        if !ok {
            return None;
        }
    }
    Uuid::try_parse(s).ok()
}

/// A git tree hash (SHA-1), as in a Manifest's `git-tree-sha1` or an artifact's name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeHash(pub [u8; 20]);

impl TreeHash {
    /// Parses exactly 40 hex digits (either case), as Pkg's `SHA1(string)`.
    pub fn parse(s: &str) -> Option<TreeHash> {
        if s.len() != 40 {
            return None;
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(TreeHash(out))
    }

    /// The raw 20 bytes.
    pub fn bytes(&self) -> &[u8; 20] {
        &self.0
    }
}

impl FromStr for TreeHash {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TreeHash::parse(s).ok_or_else(|| format!("`{s}` is not a 40-digit hex SHA-1"))
    }
}

impl fmt::Display for TreeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for TreeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TreeHash({self})")
    }
}

impl serde::Serialize for TreeHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_like_julia() {
        assert!(parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").is_some());
        assert!(parse_uuid("7876AF07-990D-54B4-AB0E-23690620F79A").is_some());
        assert!(parse_uuid("7876af07990d54b4ab0e23690620f79a").is_none());
        assert!(parse_uuid("{7876af07-990d-54b4-ab0e-23690620f79a}").is_none());
        assert!(parse_uuid("ade2ca70").is_none());
        assert!(parse_uuid("7876af07-990d-54b4-ab0e-23690620f79g").is_none());
        assert!(parse_uuid("7876af07+990d-54b4-ab0e-23690620f79a").is_none());
    }

    #[test]
    fn tree_hashes() {
        let h = TreeHash::parse("46E44E869B4D90B96BD8ED1FDCF32244FDDFB6CC").unwrap();
        assert_eq!(h.to_string(), "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc");
        assert!(TreeHash::parse("055eb").is_none());
        assert!(TreeHash::parse("zz6e44e869b4d90b96bd8ed1fdcf32244fddfb6c").is_none());
    }
}
