//! The Prometheus text format (version 0.0.4), written byte for byte as Prometheus' Go client
//! (`expfmt`) writes it, so that our expositions and Antrea's can be compared with `diff`.

use crate::family::{Family, Store};
use std::io::Write;

/// The Content-Type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
        let _ = write!(out, "{}", f as i64);
    } else {
        write_g(out, f);
    }
}

/// Go's `'g'` with the shortest precision: exponent form when the decimal exponent is below -4
/// or at least 6 (Go's fixed `eprec` for shortest output), at least two exponent digits.
fn write_g(out: &mut Vec<u8>, f: f64) {
    // Rust's `{:e}` yields the same shortest round-trip digits as Go, e.g. `-1.2345e-7`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if negative {
        out.push(b'-');
    }
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
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
        out.extend_from_slice(&digits);
    }
}

/// Writes an unsigned count the way Go writes it after converting it to `float64`.
pub(crate) fn write_count(out: &mut Vec<u8>, n: u64) {
    if n < 1_000_000 {
        let _ = write!(out, "{n}");
    } else {
        write_g(out, n as f64);
    }
}

/// HELP escaping: backslash and newline.
pub(crate) fn write_help(out: &mut Vec<u8>, help: &str) {
    for b in help.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// Label value escaping: backslash, double quote and newline.
pub(crate) fn write_label_value(out: &mut Vec<u8>, v: &str) {
    for b in v.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// `name{a="x",b="y",le="0.5"} ` — the series' labels, then an optional bucket bound.
fn write_series_head(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    labels: &[&str],
    values: &[Box<str>],
    le: Option<f64>,
) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    if !labels.is_empty() || le.is_some() {
        out.push(b'{');
        for (i, (l, v)) in labels.iter().zip(values.iter()).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"=\"");
            write_label_value(out, v);
            out.push(b'"');
        }
        if let Some(le) = le {
            if !labels.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(b"le=\"");
            write_float(out, le);
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
}

/// Appends one family's exposition; nothing when its profile does not expose it or it has no
/// series yet.
pub(crate) fn write_family(out: &mut Vec<u8>, family: &Family) {
    let Some(exposed) = family.exposed else {
        return;
    };
    let series = family
        .series
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Like Prometheus' Go client, a family without series is not written at all.
    if series.is_empty() {
        return;
    }
    let name = exposed.name;
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    write_help(out, &family.help);
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(family.desc.metric_type.as_str().as_bytes());
    out.push(b'\n');
    let labels = &family.label_names;
    for s in series.iter() {
        match &s.store {
            Store::Counter(c) => {
                write_series_head(out, name, "", labels, &s.values, None);
                write_count(out, c.get());
            }
            Store::Gauge(g) => {
                write_series_head(out, name, "", labels, &s.values, None);
                write_float(out, g.get());
            }
            Store::Histogram(h) => {
                let snap = h.snapshot();
                let bounds = h.bounds().iter().copied().chain([f64::INFINITY]);
                for (le, n) in bounds.zip(snap.cumulative.iter()) {
                    write_series_head(out, name, "_bucket", labels, &s.values, Some(le));
                    write_count(out, *n);
                    out.push(b'\n');
                }
                write_series_head(out, name, "_sum", labels, &s.values, None);
                write_float(out, snap.sum);
                out.push(b'\n');
                write_series_head(out, name, "_count", labels, &s.values, None);
                write_count(out, snap.count());
            }
        }
        out.push(b'\n');
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
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123.456, "123.456"),
            (-0.25, "-0.25"),
            (1e21, "1e+21"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
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
        write_count(&mut v, 999_999);
        v.push(b' ');
        write_count(&mut v, 2_000_000);
        assert_eq!(v, b"999999 2e+06");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut v = Vec::new();
        write_label_value(&mut v, "a\"b\\c\nd");
        assert_eq!(v, b"a\\\"b\\\\c\\nd");
    }
}
