//! `gwctl verify`: send a real preflight to every route (and a request that must fail) to a
//! deployed stage, and report whether a browser would accept the answers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::engine::Verb;
use crate::output::{ApiDoc, Printer, SCHEMA_VERSION};
use crate::spec::model::HttpMethod;
use crate::verify::http::Prober;
use crate::verify::{
    cors_check, emulator_invoke_base, preflight_check, sample_path, stage_url, Probe, UNKNOWN_PATH,
};

use super::rest::{load_spec, Target};
use super::{connect, Failure, GlobalArgs};

/// Origin sent when the API allows `*` and no `--origin` is given.
pub const ANY_ORIGIN_STAND_IN: &str = "https://gwctl-verify.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum CheckKind {
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method` to each route
    Preflight,
    /// A request to a path no route serves: API Gateway's own error must carry CORS headers
    Errors,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// A spec: its deployed API, every route, every origin it allows
    #[arg(
        value_name = "SPEC",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    pub spec: Option<PathBuf>,
    /// A stage's base URL instead of a spec, e.g. https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Stage to check, with a SPEC (repeat; default: every stage the spec declares)
    #[arg(long, value_name = "NAME")]
    pub stage: Vec<String>,
    /// Origin the browser sends (repeat; default with a SPEC: the origins it allows)
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Vec<String>,
    /// Only this path, e.g. `/todos/{id}` (repeat; default: every route of the SPEC, or `/`)
    #[arg(long, value_name = "PATH")]
    pub path: Vec<String>,
    /// Method the preflight announces with --url (default GET)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Request headers the preflight announces (default: the spec's cors headers, or Content-Type)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub header: Vec<String>,
    /// Check as requests with credentials (default with a SPEC: its `credentials`)
    #[arg(long)]
    pub credentials: bool,
    /// Where stages are served instead of https://{api_id}.execute-api.{region}.amazonaws.com;
    /// `{api_id}` and `{stage}` are replaced, else `/{api_id}/{stage}` is appended. Default
    /// with --endpoint-url / AWS_ENDPOINT_URL: `{endpoint}/_aws/execute-api` (LocalStack)
    #[arg(long, value_name = "URL")]
    pub invoke_base: Option<String>,
    /// Only these checks (repeat; default: both)
    #[arg(long, value_enum, value_name = "CHECK")]
    pub check: Vec<CheckKind>,
}

/// `gwctl verify --output json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerifyDoc {
    pub schema_version: u32,
    pub command: String,
    /// `ok` or `failed`.
    pub result: String,
    /// The API checked (None with --url).
    pub api: Option<ApiDoc>,
    pub checks: Vec<CheckDoc>,
    pub summary: VerifySummary,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckDoc {
    /// `preflight` or `error`.
    pub kind: String,
    pub stage: Option<String>,
    pub origin: String,
    /// The method announced (preflight) or sent (error).
    pub method: String,
    /// The route's path (`/todos/{id}`), or the unknown path.
    pub path: String,
    pub url: String,
    /// None when no answer came.
    pub status: Option<u16>,
    /// `ok`, `failed` or `skipped`.
    pub result: String,
    /// What a browser would refuse, each naming the header.
    pub problems: Vec<String>,
    /// The `Access-Control-*` and `Vary` headers received (lowercased names).
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerifySummary {
    pub total: usize,
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// One request to make.
struct Planned {
    kind: CheckKind,
    stage: Option<String>,
    path: String,
    url: String,
    probe: Probe,
}

/// Endpoint URL in effect for AWS calls (flag, then the environment), if any.
fn endpoint_url(g: &GlobalArgs) -> Option<String> {
    g.endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_API_GATEWAY").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|s| !s.trim().is_empty())
}

fn origins_or(given: &[String], allowed: &[String]) -> Result<Vec<String>, Failure> {
    for o in given {
        if let Some((msg, hint)) = crate::spec::origin_problem(o) {
            return Err(Failure::msg(format!("`--origin`: {msg}"), hint));
        }
    }
    let list = if given.is_empty() { allowed } else { given };
    let mut out = Vec::new();
    for o in list {
        let o = if o == "*" {
            ANY_ORIGIN_STAND_IN.to_string()
        } else {
            o.clone()
        };
        if !out.contains(&o) {
            out.push(o);
        }
    }
    Ok(out)
}

fn kinds(args: &VerifyArgs) -> BTreeSet<CheckKind> {
    if args.check.is_empty() {
        [CheckKind::Preflight, CheckKind::Errors].into()
    } else {
        args.check.iter().copied().collect()
    }
}

pub async fn verify(args: &VerifyArgs, g: &GlobalArgs, printer: &Printer) -> Result<i32, Failure> {
    let kinds = kinds(args);
    let mut planned = Vec::new();
    let mut api_doc = None;
    let title;
    if let Some(url) = &args.url {
        if args.origin.is_empty() {
            return Err(Failure::msg(
                "`--url` needs the origin of your front end: `--origin https://app.example.com`"
                    .into(),
                None,
            ));
        }
        let origins = origins_or(&args.origin, &[])?;
        let method = args
            .method
            .as_deref()
            .map(|m| m.to_ascii_uppercase())
            .unwrap_or_else(|| "GET".into());
        let headers = if args.header.is_empty() {
            vec!["content-type".to_string()]
        } else {
            args.header.iter().map(|h| h.trim().to_string()).collect()
        };
        let paths = if args.path.is_empty() {
            vec!["/".to_string()]
        } else {
            args.path.clone()
        };
        let base = url.trim_end_matches('/').to_string();
        title = format!("stage at {base}");
        for origin in &origins {
            let probe = Probe {
                origin: origin.clone(),
                credentials: args.credentials,
                method: method.clone(),
                headers: headers.clone(),
            };
            push_checks(&mut planned, &kinds, None, &base, &paths, &probe);
        }
    } else {
        let spec_path = args.spec.as_ref().expect("clap: SPEC or --url");
        let spec = load_spec(spec_path, printer)?;
        if let Err(crate::engine::EngineError::UnsupportedKind { name, kind }) =
            crate::engine::check_supports(spec.api.kind, Verb::Verify, &spec.api.name.value)
        {
            return Err(Failure::msg(
                format!(
                    "`{name}` is {}: verify finds rest apis from a spec in this version",
                    crate::engine::error::with_article(kind)
                ),
                Some("check its stage with `gwctl verify --url URL --origin ORIGIN`".into()),
            ));
        }
        let cors = spec.cors.clone().ok_or_else(|| {
            Failure::msg(
                format!(
                    "`{}` has no `cors` block: nothing to verify",
                    spec_path.display()
                ),
                Some("add one (docs/spec.md#cors), apply, then verify".into()),
            )
        })?;
        let clients = connect(g).await?;
        let target = Target {
            purpose: super::rest::Purpose::Verify,
            ..Default::default()
        };
        let found =
            crate::engine::find::find::<crate::engine::Rest>(&clients, &spec, &target).await?;
        let (api, owned) = found.ok_or_else(|| {
            Failure::msg(
                format!(
                    "rest api `{}` does not exist in this account and region",
                    spec.api.name.value
                ),
                Some(format!(
                    "create and deploy it: `gwctl apply {}`",
                    spec_path.display()
                )),
            )
        })?;
        let stages: Vec<String> = if args.stage.is_empty() {
            spec.stages.iter().map(|s| s.name.value.clone()).collect()
        } else {
            args.stage.clone()
        };
        for s in &stages {
            if !api.stages.contains_key(s) {
                return Err(Failure::msg(
                    format!(
                        "stage `{s}` of `{}` ({}) is not deployed",
                        api.config.name, api.id
                    ),
                    Some(format!(
                        "deploy it: `gwctl deploy --stage {s} {}`",
                        spec_path.display()
                    )),
                ));
            }
        }
        if stages.is_empty() {
            return Err(Failure::msg(
                "the spec declares no stage: say which with `--stage NAME`".into(),
                None,
            ));
        }
        let base = args
            .invoke_base
            .clone()
            .or_else(|| endpoint_url(g).map(|e| emulator_invoke_base(&e)));
        let origins = origins_or(&args.origin, &cors.origins)?;
        let headers: Vec<String> = if args.header.is_empty() {
            let h: Vec<String> = cors.headers.iter().filter(|h| *h != "*").cloned().collect();
            if h.is_empty() {
                vec!["content-type".to_string()]
            } else {
                h
            }
        } else {
            args.header.iter().map(|h| h.trim().to_string()).collect()
        };
        // One preflight per route (path and method); `ANY` announces a method that must be
        // listed.
        let mut routes: Vec<(String, String)> = Vec::new();
        for r in &spec.routes {
            if !args.path.is_empty() && !args.path.contains(&r.path.value) {
                continue;
            }
            let m = match r.method.value {
                HttpMethod::Any => "DELETE",
                m => m.as_str(),
            };
            let key = (r.path.value.clone(), m.to_string());
            if !routes.contains(&key) {
                routes.push(key);
            }
        }
        if routes.is_empty() && kinds.contains(&CheckKind::Preflight) {
            return Err(Failure::msg(
                format!(
                    "no route of the spec has the path(s) {}",
                    args.path.join(", ")
                ),
                None,
            ));
        }
        let credentials = args.credentials || cors.credentials;
        for stage in &stages {
            let url = stage_url(base.as_deref(), &api.id, &clients.region, stage);
            for origin in &origins {
                let probe = |method: &str| Probe {
                    origin: origin.clone(),
                    credentials,
                    method: method.to_string(),
                    headers: headers.clone(),
                };
                let preflight_only: BTreeSet<CheckKind> = kinds
                    .iter()
                    .copied()
                    .filter(|k| *k == CheckKind::Preflight)
                    .collect();
                for (path, method) in &routes {
                    push_checks(
                        &mut planned,
                        &preflight_only,
                        Some(stage),
                        &url,
                        std::slice::from_ref(path),
                        &probe(method),
                    );
                }
                if kinds.contains(&CheckKind::Errors) {
                    push_checks(
                        &mut planned,
                        &[CheckKind::Errors].into(),
                        Some(stage),
                        &url,
                        &[],
                        &probe("GET"),
                    );
                }
            }
        }
        title = format!(
            "rest api `{}` ({}), stage(s) {}",
            api.config.name,
            api.id,
            stages.join(", ")
        );
        api_doc = Some(ApiDoc {
            name: api.config.name.clone(),
            kind: "rest".into(),
            id: Some(api.id.clone()),
            owned,
            environment: None,
            variables: Vec::new(),
        });
    }

    let mut prober = Prober::new();
    let mut checks = Vec::new();
    for p in &planned {
        checks.push(run_check(&mut prober, p).await);
    }
    report(printer, &title, api_doc, checks)
}

fn push_checks(
    out: &mut Vec<Planned>,
    kinds: &BTreeSet<CheckKind>,
    stage: Option<&String>,
    base: &str,
    paths: &[String],
    probe: &Probe,
) {
    if kinds.contains(&CheckKind::Preflight) {
        for path in paths {
            out.push(Planned {
                kind: CheckKind::Preflight,
                stage: stage.cloned(),
                path: path.clone(),
                url: format!("{base}{}", sample_path(path)),
                probe: probe.clone(),
            });
        }
    }
    if kinds.contains(&CheckKind::Errors) {
        out.push(Planned {
            kind: CheckKind::Errors,
            stage: stage.cloned(),
            path: UNKNOWN_PATH.into(),
            url: format!("{base}{UNKNOWN_PATH}"),
            probe: Probe {
                method: "GET".into(),
                headers: vec![],
                ..probe.clone()
            },
        });
    }
}

async fn run_check(prober: &mut Prober, p: &Planned) -> CheckDoc {
    let mut doc = CheckDoc {
        kind: match p.kind {
            CheckKind::Preflight => "preflight",
            CheckKind::Errors => "error",
        }
        .into(),
        stage: p.stage.clone(),
        origin: p.probe.origin.clone(),
        method: p.probe.method.clone(),
        path: p.path.clone(),
        url: p.url.clone(),
        status: None,
        result: "failed".into(),
        problems: vec![],
        headers: BTreeMap::new(),
    };
    let requested = p.probe.headers.join(",").to_ascii_lowercase();
    let mut headers: Vec<(&str, &str)> = vec![("origin", p.probe.origin.as_str())];
    let answer = match p.kind {
        CheckKind::Preflight => {
            headers.push(("access-control-request-method", p.probe.method.as_str()));
            if !requested.is_empty() {
                headers.push(("access-control-request-headers", requested.as_str()));
            }
            prober.send("OPTIONS", &p.url, &headers).await
        }
        CheckKind::Errors => prober.send("GET", &p.url, &headers).await,
    };
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            doc.problems.push(e.to_string());
            return doc;
        }
    };
    doc.status = Some(r.status);
    doc.headers = r.cors_headers();
    doc.problems = match p.kind {
        CheckKind::Preflight => preflight_check(&r, &p.probe),
        CheckKind::Errors if r.status < 400 => {
            doc.result = "skipped".into();
            doc.problems.push(format!(
                "the unknown path answered {}: a route catches every path, so there is no error to check",
                r.status
            ));
            return doc;
        }
        CheckKind::Errors => {
            let mut problems = cors_check(&r, &p.probe);
            if !problems.is_empty() && !r.all("x-localstack").is_empty() {
                problems.push(
                    "(LocalStack ignores the headers of gateway responses: this check passes only on AWS; see docs/cors.md)"
                        .into(),
                );
            }
            problems
        }
    };
    doc.result = if doc.problems.is_empty() {
        "ok"
    } else {
        "failed"
    }
    .into();
    doc
}

fn report(
    printer: &Printer,
    title: &str,
    api: Option<ApiDoc>,
    checks: Vec<CheckDoc>,
) -> Result<i32, Failure> {
    let count = |r: &str| checks.iter().filter(|c| c.result == r).count();
    let summary = VerifySummary {
        total: checks.len(),
        ok: count("ok"),
        failed: count("failed"),
        skipped: count("skipped"),
    };
    let failed = summary.failed > 0;
    if printer.json() {
        printer.document(&VerifyDoc {
            schema_version: SCHEMA_VERSION,
            command: "verify".into(),
            result: if failed { "failed" } else { "ok" }.into(),
            api,
            checks: checks.clone(),
            summary: summary.clone(),
        });
    } else {
        use crate::term::escape;
        let mut s = format!("verify {}\n", escape(title));
        for c in &checks {
            let what = match c.kind.as_str() {
                "preflight" => format!("preflight {} {}", c.method, c.path),
                _ => format!("error     {} {}", c.method, c.path),
            };
            let mark = match c.result.as_str() {
                "ok" => printer.paint("ok     ", "32"),
                "skipped" => printer.paint("skipped", "33"),
                _ => printer.paint("FAILED ", "31;1"),
            };
            // Painted: everything else on the line is escaped (paths, origins and the
            // problems quote what the stage answered).
            s.push_str(&format!(
                "  {mark} {}{} from {} -> {}\n",
                escape(&what),
                c.stage
                    .as_ref()
                    .map(|st| format!(" ({})", escape(st)))
                    .unwrap_or_default(),
                escape(&c.origin),
                c.status
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "no answer".into())
            ));
            for p in &c.problems {
                s.push_str(&format!("          {}\n", escape(p)));
            }
        }
        s.push_str(&format!(
            "{} checks: {} ok, {} failed, {} skipped\n",
            summary.total, summary.ok, summary.failed, summary.skipped
        ));
        printer.data_painted(&s);
    }
    if !failed {
        return Ok(crate::exit::OK);
    }
    let mut problems: Vec<String> = Vec::new();
    for c in checks.iter().filter(|c| c.result == "failed") {
        for p in &c.problems {
            let line = format!("{} {} {}: {p}", c.kind, c.method, c.path);
            if !problems.contains(&line) {
                problems.push(line);
            }
        }
    }
    Err(Failure::msg(
        format!(
            "a browser would refuse {} of {} answers:\n  {}",
            summary.failed,
            summary.total,
            problems.join("\n  ")
        ),
        Some(
            "`gwctl apply SPEC` or `gwctl cors enable` adds the missing CORS pieces; deploy the stage afterwards"
                .into(),
        ),
    )
    .already_json(printer.json()))
}
