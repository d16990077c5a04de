//! The Prometheus text format (version 0.0.4), written byte for byte as Prometheus' Go client
//! (`expfmt`) writes it, so that our expositions and Antrea's can be compared with `diff`.

mod number;

use crate::family::{Family, Store};
use number::{write_count, write_float};

/// The Content-Type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// HELP escaping: backslash and newline.
fn write_help(out: &mut Vec<u8>, help: &str) {
    for b in help.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// Label value escaping: backslash, double quote and newline.
fn write_label_value(out: &mut Vec<u8>, v: &str) {
    // Label values almost never need escaping: copy them whole when they do not.
    if !v.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        out.extend_from_slice(v.as_bytes());
        return;
    }
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
    le: Option<&str>,
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
            out.extend_from_slice(le.as_bytes());
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
}

/// `f` as the text format writes it, e.g. for a bucket's `le` label.
pub(crate) fn float_string(f: f64) -> Box<str> {
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, f);
    String::from_utf8_lossy(&out).into()
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
                // Buckets are summed over shards as they are written: no snapshot to allocate.
                let mut count = 0;
                for (le, n) in family.le_values.iter().zip(h.cumulative()) {
                    write_series_head(out, name, "_bucket", labels, &s.values, Some(le));
                    write_count(out, n);
                    out.push(b'\n');
                    count = n;
                }
                write_series_head(out, name, "_sum", labels, &s.values, None);
                write_float(out, h.sum());
                out.push(b'\n');
                // The `+Inf` bucket just written, so the two always agree.
                write_series_head(out, name, "_count", labels, &s.values, None);
                write_count(out, count);
            }
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut v = Vec::new();
        write_label_value(&mut v, "a\"b\\c\nd");
        assert_eq!(v, b"a\\\"b\\\\c\\nd");
    }
}
