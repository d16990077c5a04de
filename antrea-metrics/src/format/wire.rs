//! The few protobuf wire-format primitives the direct encoder needs: varints, field keys,
//! fixed 64-bit values and length-delimited fields.

/// How a field's value is laid out on the wire.
#[derive(Clone, Copy)]
#[repr(u8)]
pub(crate) enum WireType {
    Varint = 0,
    Fixed64 = 1,
    Delimited = 2,
}

pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes [`varint`] writes for `v`.
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Zigzag encoding of `sint32`/`sint64` fields: small magnitudes stay small.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn key(out: &mut Vec<u8>, tag: u32, wire: WireType) {
    varint(out, u64::from(tag << 3 | wire as u32));
}

pub(crate) fn uint(out: &mut Vec<u8>, tag: u32, v: u64) {
    key(out, tag, WireType::Varint);
    varint(out, v);
}

pub(crate) fn double(out: &mut Vec<u8>, tag: u32, v: f64) {
    key(out, tag, WireType::Fixed64);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A string, bytes or embedded message already encoded.
pub(crate) fn bytes(out: &mut Vec<u8>, tag: u32, b: &[u8]) {
    key(out, tag, WireType::Delimited);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_match_the_protobuf_encoding() {
        for (v, want) in [
            (0u64, &[0u8][..]),
            (1, &[1]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out, want, "{v}");
            assert_eq!(varint_len(v), want.len(), "{v}");
        }
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)], [0, 1, 2, 3]);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }
}
