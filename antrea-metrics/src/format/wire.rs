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

// The writers are `#[inline]`: a scrape calls them a few thousand times with small values,
// from another module (and so, in a release build, often another codegen unit).

#[inline]
pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes [`varint`] writes for `v`.
#[inline]
pub(crate) fn varint_len(v: u64) -> usize {
    if v < 0x80 {
        return 1;
    }
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Zigzag encoding of `sint32`/`sint64` fields: small magnitudes stay small.
#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub(crate) fn key(out: &mut Vec<u8>, tag: u32, wire: WireType) {
    varint(out, u64::from(tag << 3 | wire as u32));
}

#[inline]
pub(crate) fn uint(out: &mut Vec<u8>, tag: u32, v: u64) {
    key(out, tag, WireType::Varint);
    varint(out, v);
}

#[inline]
pub(crate) fn double(out: &mut Vec<u8>, tag: u32, v: f64) {
    key(out, tag, WireType::Fixed64);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A string, bytes or embedded message already encoded.
#[inline]
pub(crate) fn bytes(out: &mut Vec<u8>, tag: u32, b: &[u8]) {
    key(out, tag, WireType::Delimited);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A length-delimited value being written in place, before its length is known.
#[must_use = "close it, or its length stays a placeholder"]
pub(crate) struct Open {
    /// Where its length goes.
    at: usize,
    /// Bytes left for the length.
    room: usize,
}

/// Leaves `room` bytes for the length of a value about to be written straight into `out`,
/// so that nothing is written twice (a guess: [`close`] moves the value if it was wrong).
#[inline]
pub(crate) fn open(out: &mut Vec<u8>, room: usize) -> Open {
    let at = out.len();
    out.resize(at + room, 0);
    Open { at, room }
}

/// Writes the length of what was appended since `open` in front of it, as a minimal varint
/// (what any other encoder writes), moving the value when the length needs more or fewer
/// bytes than the room left.
#[inline]
pub(crate) fn close(out: &mut Vec<u8>, open: Open) {
    let Open { at, room } = open;
    let body = at + room;
    let len = out.len() - body;
    if room == 1 && len < 0x80 {
        // The usual case of a small message.
        out[at] = len as u8;
        return;
    }
    let n = varint_len(len as u64);
    if n != room {
        if n > room {
            out.resize(out.len() + n - room, 0);
        }
        out.copy_within(body..body + len, at + n);
        out.truncate(at + n + len);
    }
    let mut v = len as u64;
    for (i, b) in out[at..at + n].iter_mut().enumerate() {
        let more = if i + 1 < n { 0x80 } else { 0 };
        *b = (v as u8 & 0x7f) | more;
        v >>= 7;
    }
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

    #[test]
    fn a_length_written_in_place_is_the_minimal_varint_whatever_the_room() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let body: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut want = vec![7u8];
            varint(&mut want, len as u64);
            want.extend_from_slice(&body);
            for room in 0..=4 {
                let mut out = vec![7u8];
                let open = open(&mut out, room);
                out.extend_from_slice(&body);
                close(&mut out, open);
                assert!(out == want, "length {len}, room {room}");
            }
        }
    }
}
