//! Numbers as Go's `expfmt` writes them, appended without allocating: a scrape writes thousands
//! of them, and a heap string per value used to be most of its cost.

use std::fmt::Write as _;

/// Writes `f` as Go's `expfmt.writeFloat`: `strconv.FormatFloat(f, 'g', -1, 64)` with
/// `+Inf`/`-Inf`/`NaN` spelled out.
pub(crate) fn write_float(out: &mut Vec<u8>, f: f64) {
    if f == 0.0 {
        out.push(b'0');
    } else if f.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if f.fract() == 0.0 && f.abs() < 1e6 {
        // Go's %g prints these as plain integers; skip the digit shuffling below.
        if f < 0.0 {
            out.push(b'-');
        }
        write_u64(out, f.abs() as u64);
    } else {
        write_g(out, f);
    }
}

/// Writes an unsigned count the way Go writes it after converting it to `float64`.
pub(crate) fn write_count(out: &mut Vec<u8>, n: u64) {
    if n < 1_000_000 {
        write_u64(out, n);
    } else {
        write_g(out, n as f64);
    }
}

/// Decimal digits of `n`, filled from the end of a stack buffer.
fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A fixed buffer that `write!` can fill: `{:e}` of an `f64` is at most 24 bytes.
struct StackBuf {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Go's `'g'` with the shortest precision: exponent form when the decimal exponent is below -4
/// or at least 6 (Go's fixed `eprec` for shortest output), at least two exponent digits.
fn write_g(out: &mut Vec<u8>, f: f64) {
    // Rust's `{:e}` yields the same shortest round-trip digits as Go, e.g. `-1.2345e-7`.
    let mut sci = StackBuf {
        buf: [0; 32],
        len: 0,
    };
    if write!(sci, "{:e}", f.abs()).is_err() {
        return;
    }
    let sci = &sci.buf[..sci.len];
    let e_at = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
    let (mantissa, exp_text) = (&sci[..e_at], sci.get(e_at + 1..).unwrap_or_default());
    let exp = parse_exp(exp_text);
    let mut digit_buf = [0u8; 24];
    let mut n = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        digit_buf[n] = b;
        n += 1;
    }
    let digits = &digit_buf[..n];
    if f < 0.0 {
        out.push(b'-');
    }
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.extend_from_slice(if exp < 0 { b"e-" } else { b"e+" });
        if exp.abs() < 10 {
            out.push(b'0');
        }
        write_u64(out, u64::from(exp.unsigned_abs()));
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(digits.get(i).copied().unwrap_or(b'0'));
        }
        if digits.len() > int_len {
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
        out.extend_from_slice(digits);
    }
}

/// The exponent of `{:e}` output: an optional `-`, then decimal digits.
fn parse_exp(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d - b'0'));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut v = Vec::new();
        write_float(&mut v, f);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn floats_match_go_strconv_g() {
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.005, "0.005"),
            (2.5, "2.5"),
            (10.0, "10"),
            (123456.0, "123456"),
            (-999999.0, "-999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-1.2345e-7, "-1.2345e-07"),
            (123.456, "123.456"),
            (-0.25, "-0.25"),
            (1e21, "1e+21"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1.7976931348623157e308, "-1.7976931348623157e+308"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(float(f), want, "{f:e}");
        }
    }

    #[test]
    fn counts_switch_to_exponent_form_like_go() {
        let mut v = Vec::new();
        for n in [0, 7, 999_999, 2_000_000, u64::MAX] {
            write_count(&mut v, n);
            v.push(b' ');
        }
        assert_eq!(v, b"0 7 999999 2e+06 1.8446744073709552e+19 ");
    }
}
