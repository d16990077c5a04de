//! The Prometheus text format (version 0.0.4), written byte for byte as Prometheus' Go client
//! (`expfmt`) writes it, so that our expositions and Antrea's can be compared with `diff`.
//! These are the format's pieces; each kind of series writes its lines with them
//! (`crate::store`), and knows nothing of families.

mod number;

pub(crate) use number::{write_count, write_float};

/// The Content-Type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Appends `text` with each byte in `escapes` replaced by its escape sequence.
fn write_escaped(out: &mut Vec<u8>, text: &str, escapes: &[(u8, &[u8])]) {
    let mut rest = text.as_bytes();
    // Copy the runs between escaped bytes whole: most texts have none at all.
    while let Some(i) = rest.iter().position(|b| escapes.iter().any(|e| e.0 == *b)) {
        out.extend_from_slice(&rest[..i]);
        let esc = escapes
            .iter()
            .find(|e| e.0 == rest[i])
            .map_or(&b""[..], |e| e.1);
        out.extend_from_slice(esc);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// HELP escaping: backslash and newline.
const HELP_ESCAPES: &[(u8, &[u8])] = &[(b'\\', b"\\\\"), (b'\n', b"\\n")];

/// Label value escaping: backslash, double quote and newline.
const LABEL_ESCAPES: &[(u8, &[u8])] = &[(b'\\', b"\\\\"), (b'"', b"\\\""), (b'\n', b"\\n")];

/// Appends `help` escaped for a `# HELP` line.
pub(crate) fn write_help(out: &mut Vec<u8>, help: &str) {
    write_escaped(out, help, HELP_ESCAPES);
}

/// Appends `value` escaped for a label value.
pub(crate) fn write_label_value(out: &mut Vec<u8>, value: &str) {
    write_escaped(out, value, LABEL_ESCAPES);
}

/// A family's `# HELP` and `# TYPE` lines, written once at registration.
pub(crate) fn family_header(name: &str, help: &str, metric_type: &str) -> Box<[u8]> {
    let mut out = Vec::with_capacity(help.len() + 2 * name.len() + 32);
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    write_help(&mut out, help);
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(metric_type.as_bytes());
    out.push(b'\n');
    out.into()
}

/// A series' labels as written between the braces, `a="x",b="y"`, escaped once when the series
/// is created rather than on every line of every scrape.
pub(crate) fn label_pairs(names: &[&str], values: &[Box<str>]) -> Box<[u8]> {
    let mut out = Vec::new();
    for (i, (l, v)) in names.iter().zip(values.iter()).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"=\"");
        write_label_value(&mut out, v);
        out.push(b'"');
    }
    out.into()
}

/// `name{a="x",b="y",le="0.5"} ` — the series' labels, then an optional bucket bound.
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

/// `f` as the text format writes it, e.g. for a bucket's `le` label.
pub(crate) fn float_string(f: f64) -> Box<str> {
    let mut out = Vec::with_capacity(24);
    write_float(&mut out, f);
    String::from_utf8_lossy(&out).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let v = label_pairs(&["x", "y"], &["a\"b\\c\nd".into(), "plain".into()]);
        assert_eq!(&*v, b"x=\"a\\\"b\\\\c\\nd\",y=\"plain\"");
        let h = family_header("m", "a\\b\nc \"q\"", "gauge");
        assert_eq!(
            &*h,
            b"# HELP m a\\\\b\\nc \"q\"\n# TYPE m gauge\n".as_slice()
        );
    }
}
