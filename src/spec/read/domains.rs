//! `domains:` (issue 18 item 1): custom domain names, their certificate, endpoint type,
//! security policy, mutual TLS truststore (`mtls:`) and base path mappings to this spec's
//! stages, and the Route 53 hosted zone of its alias records (`dns:`). Checked offline: the domain name, the
//! certificate ARN (an edge domain needs a us-east-1 certificate; a regional one a
//! certificate of the region in effect: [`check_certificate_region`]), the truststore URI
//! (`s3://bucket/key`; mutual TLS needs a REGIONAL domain with TLS_1_2), the base paths and
//! the stages they name.

use crate::spec::arn::Arn;
use crate::spec::model::*;
use crate::spec::yaml::Node;

use super::{choice, entries, nonempty, reference, Cx, MapReader, Names};

pub(crate) const DOMAIN_KEYS: &[&str] = &[
    "certificate",
    "endpoint",
    "security_policy",
    "mappings",
    "mtls",
    "dns",
];
pub(crate) const DNS_KEYS: &[&str] = &["hosted_zone_id"];
pub(crate) const MTLS_KEYS: &[&str] = &["truststore_uri", "version"];
pub(crate) const DOMAIN_ENDPOINTS: &[&str] = &["REGIONAL", "EDGE"];
pub(crate) const SECURITY_POLICIES: &[&str] = &["TLS_1_2", "TLS_1_0"];

/// The region every edge domain's certificate must be in (CloudFront reads it there).
pub const EDGE_CERTIFICATE_REGION: &str = "us-east-1";

/// A Route 53 hosted zone id: upper-case letters and digits (`Z…`), at most 32, written
/// bare (not `/hostedzone/…`).
pub fn is_hosted_zone_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A host name API Gateway accepts as a custom domain: two labels or more of letters,
/// digits and `-` (not at a label's ends), at most 253 characters; the first label may be
/// `*` (a wildcard domain).
pub fn is_domain_name(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    s.len() <= 253
        && labels.len() >= 2
        && labels.iter().enumerate().all(|(i, l)| {
            (i == 0 && *l == "*")
                || (!l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        })
        && labels
            .last()
            .is_some_and(|l| l.chars().any(|c| c.is_ascii_alphabetic()))
}

/// A base path API Gateway accepts: `""` (the root), or segments of letters, digits and
/// `-._~$+!*'()` separated by single `/`, without a leading or trailing `/`.
pub fn is_base_path(s: &str) -> bool {
    s.is_empty()
        || s.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~$+!*'()".contains(c))
        })
}

/// A truststore location API Gateway accepts: `s3://BUCKET/KEY`, both parts non-empty.
pub fn is_s3_uri(s: &str) -> bool {
    s.strip_prefix("s3://")
        .and_then(|r| r.split_once('/'))
        .is_some_and(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
}

/// An ACM certificate ARN: `arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID`.
fn certificate_region(s: &str) -> Option<&str> {
    let a = Arn::parse(s)?;
    (a.service == "acm"
        && !a.region.is_empty()
        && !a.account.is_empty()
        && a.resource
            .strip_prefix("certificate/")
            .is_some_and(|id| !id.is_empty()))
    .then_some(a.region)
}

pub(super) fn read_domains(cx: &mut Cx, n: &Node, names: &Names) -> Vec<DomainDef> {
    let Some(es) = entries(cx, n, "domains") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in es {
        let name = At::new(k.key_text(), k.pos);
        if !is_domain_name(&name.value) {
            cx.err(
                k,
                format!("`{}` is not a valid domain name", name.value),
                Some("a host name such as `api.example.com`: letters, digits and `-` in two labels or more".into()),
            );
            continue;
        }
        if let Some(d) = read_domain(cx, v, name, names) {
            out.push(d);
        }
    }
    out
}

fn read_domain(cx: &mut Cx, v: &Node, name: At<String>, names: &Names) -> Option<DomainDef> {
    let what = format!("domain `{}`", name.value);
    let mut m = MapReader::open(cx, v, &what, DOMAIN_KEYS)?;
    let mut ok = true;
    let endpoint = match m.get("endpoint") {
        Some(e) => choice(cx, e, "endpoint", DOMAIN_ENDPOINTS).unwrap_or_else(|| {
            ok = false;
            "REGIONAL"
        }),
        None => "REGIONAL",
    };
    let security_policy = match m.get("security_policy") {
        Some(e) => choice(cx, e, "security_policy", SECURITY_POLICIES).unwrap_or_else(|| {
            ok = false;
            "TLS_1_2"
        }),
        None => "TLS_1_2",
    };
    let certificate = m.req(cx, "certificate").and_then(|c| {
        let t = nonempty(cx, c, "certificate")?;
        match certificate_region(&t.value) {
            None => {
                cx.err(
                    c,
                    format!("`{}` is not an acm certificate arn", t.value),
                    Some("write `arn:aws:acm:REGION:ACCOUNT:certificate/ID`".into()),
                );
                None
            }
            Some(r) if endpoint == "EDGE" && r != EDGE_CERTIFICATE_REGION => {
                cx.err(
                    c,
                    format!(
                        "edge domain `{}` needs a certificate in {EDGE_CERTIFICATE_REGION}, this one is in {r}",
                        name.value
                    ),
                    Some(format!(
                        "request or import the certificate in {EDGE_CERTIFICATE_REGION} (CloudFront reads it there), or use `endpoint: REGIONAL`"
                    )),
                );
                None
            }
            Some(_) => Some(t),
        }
    });
    let mut mappings = Vec::new();
    if let Some(ms) = m.req(cx, "mappings") {
        if let Some(es) = entries(cx, ms, "mappings") {
            for (pk, pv) in es {
                let path = At::new(pk.key_text(), pk.pos);
                if !is_base_path(&path.value) {
                    cx.err(
                        pk,
                        format!("invalid base path `{}`", path.value),
                        Some("letters, digits and `-._~$+!*'()`, segments joined by `/`; `\"\"` maps the root".into()),
                    );
                    ok = false;
                    continue;
                }
                let Some(stage) = nonempty(cx, pv, "mapping stage") else {
                    ok = false;
                    continue;
                };
                if !reference(cx, pv, &stage.value, &names.stages, "stage", "stages") {
                    ok = false;
                    continue;
                }
                mappings.push((path, stage));
            }
            if es.is_empty() {
                cx.err(
                    ms,
                    format!("domain `{}` maps nothing", name.value),
                    Some("write `mappings: {\"\": STAGE}` (base path: stage)".into()),
                );
                ok = false;
            }
        }
    }
    let mtls = match m.get("mtls") {
        Some(t) => {
            let k = m.key("mtls").unwrap_or(t);
            let r = read_mtls(cx, t, k, &name.value, endpoint, security_policy);
            ok &= r.is_some();
            r
        }
        None => None,
    };
    let dns_zone = match m.get("dns") {
        Some(d) => {
            let r = read_dns(cx, d);
            ok &= r.is_some();
            r
        }
        None => None,
    };
    m.finish(cx);
    let certificate = certificate?;
    ok.then_some(DomainDef {
        name,
        certificate,
        endpoint: endpoint.to_string(),
        security_policy: security_policy.to_string(),
        mappings,
        mtls,
        dns_zone,
    })
}

/// `dns: {hosted_zone_id: Z…}`: the hosted zone of the domain's alias records.
fn read_dns(cx: &mut Cx, n: &Node) -> Option<At<String>> {
    let mut m = MapReader::open(cx, n, "dns", DNS_KEYS)?;
    let zone = m.req(cx, "hosted_zone_id").and_then(|z| {
        let t = nonempty(cx, z, "hosted_zone_id")?;
        if is_hosted_zone_id(&t.value) {
            Some(t)
        } else {
            cx.err(
                z,
                format!("`{}` is not a route 53 hosted zone id", t.value),
                Some("write the zone's id as route 53 shows it, e.g. `Z0123456789ABCDEFGHIJ` (upper-case letters and digits, without `/hostedzone/`)".into()),
            );
            None
        }
    });
    m.finish(cx);
    zone
}

/// `mtls: {truststore_uri: s3://bucket/key, version: V}` of the domain `domain`; `key` is
/// the `mtls` key (errors about the domain's settings point there).
fn read_mtls(
    cx: &mut Cx,
    n: &Node,
    key: &Node,
    domain: &str,
    endpoint: &str,
    security_policy: &str,
) -> Option<(At<String>, Option<String>)> {
    let mut m = MapReader::open(cx, n, "mtls", MTLS_KEYS)?;
    let mut ok = true;
    let uri = m.req(cx, "truststore_uri").and_then(|u| {
        let t = nonempty(cx, u, "truststore_uri")?;
        if is_s3_uri(&t.value) {
            Some(t)
        } else {
            cx.err(
                u,
                format!("`{}` is not an s3 uri", t.value),
                Some("write `s3://BUCKET/KEY` (the truststore's pem bundle in s3)".into()),
            );
            None
        }
    });
    let version = match m.get("version") {
        Some(vn) => match nonempty(cx, vn, "version") {
            Some(t) => Some(t.value),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    m.finish(cx);
    if endpoint != "REGIONAL" {
        cx.err(
            key,
            format!("mutual tls of domain `{domain}` needs a REGIONAL endpoint, not {endpoint}"),
            Some("api gateway supports mutual tls on regional domain names only: write `endpoint: REGIONAL`".into()),
        );
        ok = false;
    }
    if security_policy != "TLS_1_2" {
        cx.err(
            key,
            format!("mutual tls of domain `{domain}` needs `security_policy: TLS_1_2`, not {security_policy}"),
            Some("api gateway requires tls 1.2 for mutual tls".into()),
        );
        ok = false;
    }
    let uri = uri?;
    ok.then_some((uri, version))
}

/// A regional domain's certificate must be in the region gwctl works in (API Gateway reads
/// it there): checked when the region is known (`--region`, `AWS_REGION`, the environment's
/// region, or the connection's), not against the offline placeholder.
pub(crate) fn check_certificate_region(cx: &mut Cx, spec: &Spec, region: &str) {
    for d in spec.domains.iter().flatten() {
        if d.endpoint != "REGIONAL" {
            continue;
        }
        let Some(r) = certificate_region(&d.certificate.value) else {
            continue;
        };
        if r != region {
            cx.err_at(
                d.certificate.pos,
                format!(
                    "regional domain `{}` needs a certificate in {region}, this one is in {r}",
                    d.name.value
                ),
                Some(format!(
                    "request or import the certificate in {region}, or work in {r} (`--region {r}`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "api: {name: shop}\nfunctions: {list: list-items}\nstages: {prod: {}}\nroutes:\n  - {path: /items, method: GET, function: list}\n";
    const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

    fn load(domains: &str) -> crate::spec::Loaded {
        crate::spec::load_str(
            std::path::Path::new("t.yaml"),
            &format!("{BASE}domains:\n{domains}"),
        )
    }

    #[test]
    fn a_domain_reads_with_its_defaults_and_mappings_in_file_order() {
        let l = load(&format!(
            "  api.example.com:\n    certificate: {CERT}\n    mappings: {{v2: prod, \"\": prod}}\n"
        ));
        let spec = l.spec.expect("valid");
        let d = &spec.domains.as_ref().unwrap()[0];
        assert_eq!(
            (d.endpoint.as_str(), d.security_policy.as_str()),
            ("REGIONAL", "TLS_1_2")
        );
        let paths: Vec<&str> = d.mappings.iter().map(|(p, _)| p.value.as_str()).collect();
        assert_eq!(paths, ["v2", ""]);
        // No key: no domains at all (nothing is read or changed), unlike `domains: {}`.
        let none = crate::spec::load_str(std::path::Path::new("t.yaml"), BASE);
        assert_eq!(none.spec.unwrap().domains, None);
    }

    #[test]
    fn dns_reads_its_hosted_zone_and_refuses_a_bad_id_at_its_position() {
        let l = load(&format!(
            "  api.example.com:\n    certificate: {CERT}\n    mappings: {{\"\": prod}}\n    dns: {{hosted_zone_id: Z123ABC}}\n"
        ));
        let spec = l.spec.expect("valid");
        let d = &spec.domains.as_ref().unwrap()[0];
        assert_eq!(
            d.dns_zone.as_ref().map(|z| z.value.as_str()),
            Some("Z123ABC")
        );
        for bad in ["/hostedzone/Z123", "z123", "\"\""] {
            let l = load(&format!(
                "  api.example.com:\n    certificate: {CERT}\n    mappings: {{\"\": prod}}\n    dns: {{hosted_zone_id: {bad}}}\n"
            ));
            let first = l
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .unwrap_or_else(|| panic!("{bad}: an error"));
            assert_eq!(first.line, 10, "{bad}: {}", first.message);
        }
    }

    #[test]
    fn mtls_reads_its_truststore_and_version() {
        let l = load(&format!(
            "  api.example.com:\n    certificate: {CERT}\n    mappings: {{\"\": prod}}\n    mtls: {{truststore_uri: s3://trust/ca.pem, version: v7}}\n"
        ));
        let spec = l.spec.expect("valid");
        let (uri, version) = spec.domains.unwrap()[0].mtls.clone().expect("mtls");
        assert_eq!(
            (uri.value.as_str(), version.as_deref()),
            ("s3://trust/ca.pem", Some("v7"))
        );
    }

    #[test]
    fn mtls_needs_an_s3_uri_a_regional_endpoint_and_tls_1_2() {
        for (extra, mtls, want) in [
            ("", "{truststore_uri: https://b/k}", "`https://b/k` is not an s3 uri"),
            ("", "{truststore_uri: s3://bucket}", "`s3://bucket` is not an s3 uri"),
            (
                "    endpoint: EDGE\n",
                "{truststore_uri: s3://b/k}",
                "mutual tls of domain `api.example.com` needs a REGIONAL endpoint, not EDGE",
            ),
            (
                "    security_policy: TLS_1_0\n",
                "{truststore_uri: s3://b/k}",
                "mutual tls of domain `api.example.com` needs `security_policy: TLS_1_2`, not TLS_1_0",
            ),
            ("", "{version: v1}", "missing `truststore_uri` in mtls"),
        ] {
            let l = load(&format!(
                "  api.example.com:\n    certificate: {CERT}\n{extra}    mappings: {{\"\": prod}}\n    mtls: {mtls}\n"
            ));
            let errs: Vec<&str> = l
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.as_str())
                .collect();
            assert_eq!(errs, [want], "{mtls}");
            assert!(l.spec.is_none());
        }
    }

    #[test]
    fn host_names_and_base_paths() {
        for ok in ["api.example.com", "*.example.com", "a-b.c.io"] {
            assert!(is_domain_name(ok), "{ok}");
        }
        for bad in [
            "example",
            "api_x.com",
            "-a.com",
            "a..com",
            "api.123",
            "a.*.com",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
        for ok in ["", "v2", "v2/beta", "a.b-c_d~$"] {
            assert!(is_base_path(ok), "{ok}");
        }
        for bad in ["/v2", "v2/", "v 2", "a//b", "v2?x"] {
            assert!(!is_base_path(bad), "{bad}");
        }
    }
}
