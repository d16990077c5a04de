//! Content negotiation: the `Accept` header's media types, by quality, choose the format, as
//! `promhttp` (`expfmt.Negotiate` and `NegotiateIncludingOpenMetrics`) chooses it.

use super::Format;

/// The format to answer a request whose `Accept` header values are `accept`.
///
/// Media ranges are tried from the highest quality down (the listed order among equal ones,
/// specific types before wildcards); the first that names a format the server offers wins:
/// - `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
///   `encoding=delimited`: [`Format::Protobuf`];
/// - `application/openmetrics-text` with version `1.0.0`, `0.0.1` or none, only when
///   `openmetrics` is enabled: [`Format::OpenMetrics`] (always written as 1.0.0, which
///   parsers of 0.0.1 read);
/// - `text/plain` with version `0.0.4`, `1.0.0` or none: [`Format::Text`].
///
/// Anything else, a missing header, or one that cannot be parsed gives [`Format::Text`], the
/// fallback every Prometheus understands. Ranges with `q=0` are refused, as RFC 9110 says.
///
/// ```
/// use antrea_metrics::format::{negotiate, Format};
/// let prometheus_2_42_native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(negotiate([prometheus_2_42_native], false), Format::Protobuf);
/// assert_eq!(negotiate(["application/openmetrics-text;version=1.0.0"], false), Format::Text);
/// assert_eq!(negotiate(["application/openmetrics-text;version=1.0.0"], true), Format::OpenMetrics);
/// assert_eq!(negotiate(Vec::<&str>::new(), true), Format::Text);
/// ```
pub fn negotiate<'a>(accept: impl IntoIterator<Item = &'a str>, openmetrics: bool) -> Format {
    let mut ranges: Vec<MediaRange<'a>> = accept
        .into_iter()
        .flat_map(|value| value.split(','))
        .filter_map(MediaRange::parse)
        .filter(|r| r.q > 0.0)
        .collect();
    // Stable: equal qualities keep the order the client listed them in.
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then_with(|| a.wildcard().cmp(&b.wildcard()))
    });
    ranges
        .iter()
        .find_map(|r| r.format(openmetrics))
        .unwrap_or(Format::Text)
}

/// One entry of an `Accept` header: `type/subtype;param=value;q=0.5`.
struct MediaRange<'a> {
    media_type: &'a str,
    params: Vec<(&'a str, &'a str)>,
    q: f32,
}

impl<'a> MediaRange<'a> {
    fn parse(item: &'a str) -> Option<Self> {
        let mut parts = item.split(';');
        let media_type = parts.next()?.trim();
        let (main, sub) = media_type.split_once('/')?;
        if main.is_empty() || sub.is_empty() {
            return None;
        }
        let mut q = 1.0;
        let mut params = Vec::new();
        for p in parts {
            let (k, v) = p.split_once('=')?;
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.eq_ignore_ascii_case("q") {
                // An unreadable quality makes the whole range unusable rather than preferred.
                q = v.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?;
            } else {
                params.push((k, v));
            }
        }
        Some(MediaRange {
            media_type,
            params,
            q,
        })
    }

    fn wildcard(&self) -> bool {
        self.media_type.contains('*')
    }

    fn param(&self, name: &str) -> Option<&'a str> {
        let found = self
            .params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        found.map(|(_, v)| *v)
    }

    fn is(&self, media_type: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
    }

    /// The format this range names, if the server offers it.
    fn format(&self, openmetrics: bool) -> Option<Format> {
        let version = self.param("version");
        if self.is("application/vnd.google.protobuf") {
            let delimited = self.param("proto") == Some("io.prometheus.client.MetricFamily")
                && self.param("encoding") == Some("delimited");
            return delimited.then_some(Format::Protobuf);
        }
        if self.is("application/openmetrics-text") {
            let known = matches!(version, None | Some("1.0.0") | Some("0.0.1"));
            return (openmetrics && known).then_some(Format::OpenMetrics);
        }
        if self.is("text/plain") {
            let known = matches!(version, None | Some("0.0.4") | Some("1.0.0"));
            return known.then_some(Format::Text);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Format::{OpenMetrics as Om, Protobuf as Pb, Text};

    const PROM_2_DEFAULT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROM_2_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROM_3_DEFAULT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    const PROM_3_PROTO_FIRST: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    const BROWSER: &str =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    #[test]
    fn accept_headers_choose_the_format() {
        // (Accept, OpenMetrics enabled, expected)
        let table: &[(&str, bool, Format)] = &[
            (PROM_2_DEFAULT, false, Text),
            (PROM_2_DEFAULT, true, Om),
            (PROM_2_NATIVE, false, Pb),
            (PROM_2_NATIVE, true, Pb),
            (PROM_3_DEFAULT, false, Text),
            (PROM_3_DEFAULT, true, Om),
            (PROM_3_PROTO_FIRST, false, Pb),
            (PROM_3_PROTO_FIRST, true, Pb),
            ("*/*", true, Text),
            ("", true, Text),
            (BROWSER, true, Text),
            ("text/plain", true, Text),
            ("text/plain;version=0.0.3", false, Text),
            ("application/json", true, Text),
            // Quality, not position, decides.
            ("text/plain;q=0.4,application/openmetrics-text;q=0.9", true, Om),
            ("text/plain;q=0.9,application/openmetrics-text;q=0.4", true, Text),
            // Protobuf with another encoding or message is not offered.
            ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", true, Text),
            ("application/vnd.google.protobuf;proto=other.Message;encoding=delimited", true, Text),
            ("application/vnd.google.protobuf;encoding=delimited", true, Text),
            // Refused (q=0) or unknown OpenMetrics versions fall through.
            ("application/openmetrics-text;q=0,text/plain", true, Text),
            ("application/openmetrics-text;version=2.0.0", true, Text),
            // Garbage never panics and gives the fallback.
            ("\u{0}\u{1}garbage;;;===", true, Text),
            ("application/openmetrics-text;q=abc", true, Text),
            ("application/openmetrics-text;q=7", true, Text),
            (",,,;q=1", true, Text),
            ("/;", true, Text),
            ("APPLICATION/OPENMETRICS-TEXT; VERSION=1.0.0", true, Om),
            ("application/openmetrics-text; version=\"1.0.0\"", true, Om),
        ];
        for (accept, om, expected) in table {
            assert_eq!(
                negotiate([*accept], *om),
                *expected,
                "Accept: {accept:?} (OpenMetrics {om})"
            );
        }
    }

    #[test]
    fn several_accept_headers_are_one_list() {
        assert_eq!(negotiate(["text/plain;q=0.2", PROM_2_NATIVE], false), Pb);
        assert_eq!(negotiate(std::iter::empty(), true), Text);
    }

    #[test]
    fn specific_types_win_over_wildcards_of_equal_quality() {
        assert_eq!(negotiate(["*/*,application/openmetrics-text"], true), Om);
    }
}
