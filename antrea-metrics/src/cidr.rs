//! A cluster CIDR, the `clusterCIDR` label of Antrea's Node IPAM families.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A cluster CIDR that Antrea's Node IPAM controller allocates Node CIDRs from, parsed as
/// Antrea parses its `clusterCIDRs` (`k8s.io/utils/net.ParseCIDRs`, that is Go's `ParseCIDR`
/// of before Go 1.17, which accepts leading zeros: `010.244.0.0/16` is `10.244.0.0/16`) and
/// written as Go's `net.IPNet.String()` writes it (the network address, then the prefix
/// length), which is how Antrea labels its CIDR set metrics.
///
/// ```
/// use antrea_metrics::ClusterCidr;
/// let cidr: ClusterCidr = "10.244.7.1/16".parse()?;
/// assert_eq!(cidr.to_string(), "10.244.0.0/16");
/// let v6: ClusterCidr = "FD00:0:0::/48".parse()?;
/// assert_eq!(v6.to_string(), "fd00::/48");
/// let sloppy: ClusterCidr = "010.244.0.0/016".parse()?;
/// assert_eq!(sloppy.to_string(), "10.244.0.0/16");
/// // An IPv4-mapped IPv6 network prints as IPv4, with the IPv4 prefix length.
/// let mapped: ClusterCidr = "::ffff:10.0.0.0/104".parse()?;
/// assert_eq!(mapped.to_string(), "10.0.0.0/8");
/// # Ok::<(), antrea_metrics::CidrError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClusterCidr {
    network: IpAddr,
    prefix: u8,
}

/// Text that is not a CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CidrError {
    /// No `/` and prefix length.
    #[error("{0:?} has no prefix length (write a CIDR such as 10.244.0.0/16)")]
    NoPrefix(String),
    /// The address part is not an IP address.
    #[error("{text:?} does not start with an IP address (write a CIDR such as 10.244.0.0/16)")]
    Address {
        /// The text given.
        text: String,
        /// What the address parser said.
        #[source]
        source: std::net::AddrParseError,
    },
    /// The prefix length is not a number of bits of the address.
    #[error("the prefix length of {text:?} is not 0 to {max} (use a prefix length that fits the address)")]
    Prefix {
        /// The text given.
        text: String,
        /// The longest prefix for the address family (32 or 128).
        max: u8,
    },
}

impl ClusterCidr {
    /// The CIDR of `address` with `prefix` bits: host bits are cleared, as Go's
    /// `net.ParseCIDR` does.
    ///
    /// # Errors
    /// [`CidrError::Prefix`] when `prefix` exceeds the address's bits.
    pub fn new(address: IpAddr, prefix: u8) -> Result<Self, CidrError> {
        let max = match address {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > max {
            return Err(CidrError::Prefix {
                text: format!("{address}/{prefix}"),
                max,
            });
        }
        let network = match address {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Ok(ClusterCidr { network, prefix })
    }

    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl FromStr for ClusterCidr {
    type Err = CidrError;

    /// Parses `text` as Antrea does (`ParseCIDRSloppy`): an IPv4 address of four decimal
    /// numbers (leading zeros allowed) or an IPv6 address (groups of hex digits, leading zeros
    /// allowed, one `::`, optionally ending in such an IPv4 address), a `/`, and a decimal
    /// prefix length; host bits are cleared.
    fn from_str(text: &str) -> Result<Self, CidrError> {
        let (addr, prefix) =
            (text.split_once('/')).ok_or_else(|| CidrError::NoPrefix(text.into()))?;
        let address = match sloppy::ipv4(addr.as_bytes()) {
            Some(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
            None => match sloppy::ipv6(addr.as_bytes()) {
                Some(v6) => IpAddr::V6(Ipv6Addr::from(v6)),
                // Rust's parser reads a subset of the sloppy grammar: asked here for its
                // reason to refuse the address.
                None => addr.parse().map_err(|source| CidrError::Address {
                    text: text.into(),
                    source,
                })?,
            },
        };
        let max = if address.is_ipv4() { 32 } else { 128 };
        let bits = match sloppy::decimal(prefix.as_bytes()) {
            Some((bits, len)) if len == prefix.len() && bits <= u32::from(max) => bits as u8,
            _ => {
                return Err(CidrError::Prefix {
                    text: text.into(),
                    max,
                })
            }
        };
        ClusterCidr::new(address, bits).map_err(|_| CidrError::Prefix {
            text: text.into(),
            max,
        })
    }
}

/// The address grammar of Go's `net` package before Go 1.17, which Kubernetes keeps as
/// `k8s.io/utils/net.ParseCIDRSloppy` and Antrea uses for cluster CIDRs.
mod sloppy {
    /// Go's `big`: numbers stop being read when they reach it.
    const BIG: u32 = 0xFF_FFFF;

    /// The number the leading decimal digits of `s` write, and how many there are; `None`
    /// without digits or from `BIG` on.
    pub(super) fn decimal(s: &[u8]) -> Option<(u32, usize)> {
        number(s, 10)
    }

    fn number(s: &[u8], radix: u32) -> Option<(u32, usize)> {
        let mut n = 0u32;
        let mut len = 0;
        for digit in s.iter().map_while(|b| char::from(*b).to_digit(radix)) {
            n = n * radix + digit;
            if n >= BIG {
                return None;
            }
            len += 1;
        }
        (len > 0).then_some((n, len))
    }

    /// Four decimal numbers up to 255, separated by dots, nothing after them.
    pub(super) fn ipv4(mut s: &[u8]) -> Option<[u8; 4]> {
        let mut out = [0u8; 4];
        for (i, octet) in out.iter_mut().enumerate() {
            if i > 0 {
                s = s.strip_prefix(b".")?;
            }
            let (n, len) = decimal(s)?;
            *octet = u8::try_from(n).ok()?;
            s = &s[len..];
        }
        s.is_empty().then_some(out)
    }

    /// Up to eight groups of hex digits (each at most 0xffff) separated by `:`, with at most
    /// one `::` standing for at least one zero group, and optionally an IPv4 address in the
    /// last 32 bits.
    pub(super) fn ipv6(mut s: &[u8]) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        let mut ellipsis = None;
        if let Some(rest) = s.strip_prefix(b"::") {
            if rest.is_empty() {
                return Some(out);
            }
            ellipsis = Some(0);
            s = rest;
        }
        let mut i = 0;
        while i < 16 {
            let (n, len) = number(s, 16).filter(|(n, _)| *n <= 0xffff)?;
            if s.get(len) == Some(&b'.') {
                if (ellipsis.is_none() && i != 12) || i + 4 > 16 {
                    return None;
                }
                out[i..i + 4].copy_from_slice(&ipv4(s)?);
                s = &[];
                i += 4;
                break;
            }
            out[i..i + 2].copy_from_slice(&(n as u16).to_be_bytes());
            i += 2;
            s = &s[len..];
            if s.is_empty() {
                break;
            }
            s = s.strip_prefix(b":").filter(|rest| !rest.is_empty())?;
            if let Some(rest) = s.strip_prefix(b":") {
                if ellipsis.is_some() {
                    return None;
                }
                ellipsis = Some(i);
                s = rest;
                if s.is_empty() {
                    break;
                }
            }
        }
        if !s.is_empty() {
            return None;
        }
        match ellipsis {
            // Every group given, and a `::` that stands for none.
            Some(_) if i == 16 => None,
            Some(at) => {
                let moved = 16 - i;
                out.copy_within(at..i, at + moved);
                out[at..at + moved].fill(0);
                Some(out)
            }
            None => (i == 16).then_some(out),
        }
    }
}

impl fmt::Display for ClusterCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network {
            // Go's IPNet.String() writes an IPv4-mapped IPv6 network as the IPv4 network, with
            // the last 32 bits of its mask: 96 bits fewer (a mapped network has at least 96,
            // or masking would have cleared its ffff).
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => write!(f, "{v4}/{}", self.prefix.saturating_sub(96)),
                None => write!(f, "{a}/{}", self.prefix),
            },
            IpAddr::V4(a) => write!(f, "{a}/{}", self.prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Result<String, CidrError> {
        text.parse::<ClusterCidr>().map(|c| c.to_string())
    }

    #[test]
    fn cidrs_print_as_go_prints_them() {
        assert_eq!(cidr("10.244.0.0/16").as_deref(), Ok("10.244.0.0/16"));
        assert_eq!(cidr("10.244.3.9/24").as_deref(), Ok("10.244.3.0/24"));
        assert_eq!(cidr("0.0.0.0/0").as_deref(), Ok("0.0.0.0/0"));
        assert_eq!(cidr("fd00:10:244::1/64").as_deref(), Ok("fd00:10:244::/64"));
        assert_eq!(
            cidr("2001:db8:0:0:1::/128").as_deref(),
            Ok("2001:db8:0:0:1::/128")
        );
    }

    #[test]
    fn leading_zeros_and_mapped_networks_read_as_antrea_reads_them() {
        assert_eq!(cidr("010.244.0.0/016").as_deref(), Ok("10.244.0.0/16"));
        assert_eq!(cidr("::ffff:10.1.2.3/120").as_deref(), Ok("10.1.2.0/24"));
        assert_eq!(cidr("::ffff:10.0.0.0/64").as_deref(), Ok("::/64"));
        assert_eq!(cidr("fd00:00010::/32").as_deref(), Ok("fd00:10::/32"));
        assert!(matches!(
            cidr("fd00:10000::/32"),
            Err(CidrError::Address { .. })
        ));
        assert!(matches!(cidr("1::2::3/64"), Err(CidrError::Address { .. })));
    }

    #[test]
    fn bad_cidrs_are_refused() {
        assert!(matches!(cidr("10.0.0.0"), Err(CidrError::NoPrefix(_))));
        assert!(matches!(cidr("10.0.0/8"), Err(CidrError::Address { .. })));
        assert!(matches!(
            cidr("10.0.0.0/33"),
            Err(CidrError::Prefix { max: 32, .. })
        ));
        assert!(matches!(
            cidr("::/129"),
            Err(CidrError::Prefix { max: 128, .. })
        ));
        assert!(matches!(cidr("10.0.0.0/+8"), Err(CidrError::Prefix { .. })));
        assert!(matches!(cidr("10.0.0.0/"), Err(CidrError::Prefix { .. })));
    }
}
