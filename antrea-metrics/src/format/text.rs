//! The Prometheus text format (version 0.0.4), written byte for byte as Prometheus' Go client
//! (`expfmt`) writes it, so that our expositions and Antrea's can be compared with `diff`: a
//! component's families from their [view](crate::family::FamilyView), plus the pieces that
//! OpenMetrics and the gathered-family writer (`registry_text`) share.

use super::number::{write_count, write_float};
use crate::family::{FamilyView, Head, Value};
use crate::labels::write_escaped_value;

/// What the text format writes of a family the same way in every scrape, made once when the
/// family is registered.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The `# HELP` and `# TYPE` lines (empty when the profile does not expose the family).
    header: Box<[u8]>,
    /// Histogram bucket bounds as `le` values, `+Inf` last.
    le: Box<[Box<str>]>,
}

impl Prepared {
    pub(crate) fn new(head: &Head) -> Self {
        let header = head.name().map_or_else(Box::default, |name| {
            let mut out = Vec::with_capacity(head.help.len() + 2 * name.len() + 32);
            out.extend_from_slice(b"# HELP ");
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
            write_help(&mut out, &head.help);
            out.extend_from_slice(b"\n# TYPE ");
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
            out.extend_from_slice(head.desc.metric_type.as_str().as_bytes());
            out.push(b'\n');
            out.into()
        });
        let le = head.bounds.iter().map(|b| float_string(*b)).collect();
        Prepared { header, le }
    }
}

/// Appends one family; nothing when its profile does not expose it or it has no series, like
/// Prometheus' Go client.
pub(crate) fn write_family(out: &mut Vec<u8>, family: &dyn FamilyView, prep: &Prepared) {
    let Some(name) = family.head().name() else {
        return;
    };
    write_series(out, family, &prep.header, name, "", &prep.le);
}

/// Appends `header`, then every series of `family` named `name` (counter samples with
/// `counter_suffix`), histogram buckets bounded by `le`; takes `header` back off when there
/// was no series. OpenMetrics writes its series through this too.
pub(crate) fn write_series(
    out: &mut Vec<u8>,
    family: &dyn FamilyView,
    header: &[u8],
    name: &str,
    counter_suffix: &str,
    le: &[Box<str>],
) {
    let start = out.len();
    out.extend_from_slice(header);
    let count = family.visit(&mut |s| {
        let labels = s.rendered;
        match s.value {
            Value::Counter(n) => {
                write_series_head(out, name, counter_suffix, labels, None);
                write_count(out, n);
                out.push(b'\n');
            }
            Value::Gauge(v) => {
                write_series_head(out, name, "", labels, None);
                write_float(out, v);
                out.push(b'\n');
            }
            Value::Histogram(h) => {
                // Buckets are summed over shards as they are written: no snapshot to allocate.
                let mut count = 0;
                for (le, n) in le.iter().zip(h.cumulative()) {
                    write_series_head(out, name, "_bucket", labels, Some(le));
                    write_count(out, n);
                    out.push(b'\n');
                    count = n;
                }
                write_series_head(out, name, "_sum", labels, None);
                write_float(out, h.sum());
                out.push(b'\n');
                // The `+Inf` bucket just written, so the two always agree.
                write_series_head(out, name, "_count", labels, None);
                write_count(out, count);
                out.push(b'\n');
            }
        }
    });
    if count == 0 {
        out.truncate(start);
    }
}

/// Appends `help` escaped for a `# HELP` line: backslash and newline.
pub(crate) fn write_help(out: &mut Vec<u8>, help: &str) {
    let mut rest = help.as_bytes();
    while let Some(i) = rest.iter().position(|b| matches!(b, b'\\' | b'\n')) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(if rest[i] == b'\\' { b"\\\\" } else { b"\\n" });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// `name{a="x",b="y",le="0.5"} ` — the series' rendered labels, then an optional bucket bound.
pub(crate) fn write_series_head(
    out: &mut Vec<u8>,
    name: &str,
    suffix: &str,
    labels: &[u8],
    le: Option<&str>,
) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    if !labels.is_empty() || le.is_some() {
        out.push(b'{');
        out.extend_from_slice(labels);
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

/// `{a="x",b="y",le="0.5"}`: `labels` escaped, then an optional numeric label written by
/// `number`; nothing at all when there are no labels. Shared by the writers that work from
/// gathered families (text and OpenMetrics).
pub(crate) fn write_label_set<'a>(
    out: &mut Vec<u8>,
    labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    extra: Option<(&str, f64)>,
    number: fn(&mut Vec<u8>, f64),
) {
    if labels.len() == 0 && extra.is_none() {
        return;
    }
    out.push(b'{');
    let mut first = true;
    for (name, value) in labels {
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        write_escaped_value(out, value);
        out.push(b'"');
    }
    if let Some((name, v)) = extra {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        number(out, v);
        out.push(b'"');
    }
    out.push(b'}');
}

/// `f` as the text format writes it, e.g. for a bucket's `le` label.
fn float_string(f: f64) -> Box<str> {
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, f);
    String::from_utf8_lossy(&out).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_escapes_backslash_and_newline_only() {
        let mut h = Vec::new();
        write_help(&mut h, "a\\b\nc \"q\"");
        assert_eq!(&*h, b"a\\\\b\\nc \"q\"".as_slice());
    }
}
