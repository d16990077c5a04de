//! A cluster CIDR, the `clusterCIDR` label of Antrea's Node IPAM families.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A cluster CIDR that Antrea's Node IPAM controller allocates Node CIDRs from, written as
/// Go's `net.IPNet.String()` writes it (the network address, then the prefix length), which
/// is how Antrea labels its CIDR set metrics.
///
/// ```
/// use antrea_metrics::ClusterCidr;
/// let cidr: ClusterCidr = "10.244.7.1/16".parse()?;
/// assert_eq!(cidr.to_string(), "10.244.0.0/16");
/// let v6: ClusterCidr = "FD00:0:0::/48".parse()?;
/// assert_eq!(v6.to_string(), "fd00::/48");
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

    fn from_str(text: &str) -> Result<Self, CidrError> {
        let (addr, prefix) =
            (text.split_once('/')).ok_or_else(|| CidrError::NoPrefix(text.into()))?;
        let address: IpAddr = addr.parse().map_err(|source| CidrError::Address {
            text: text.into(),
            source,
        })?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        // Go accepts decimal digits only: no sign, no spaces.
        let bits = match prefix.parse::<u8>() {
            Ok(bits) if prefix.bytes().all(|b| b.is_ascii_digit()) => bits,
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

impl fmt::Display for ClusterCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network {
            // Go writes an IPv4-mapped IPv6 network in dotted form, with the IPv6 prefix length.
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => write!(f, "{v4}/{}", self.prefix),
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
