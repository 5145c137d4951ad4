//! The REST planner: desired vs observed -> ordered ops and human-level changes.
//! Pure: no SDK, no I/O.

pub mod canary;
pub mod cors;
pub mod deps;
pub mod desired;
pub mod export;
pub mod method;
pub mod models;
pub mod openapi;
pub mod ops;
pub mod simulate;

use std::collections::BTreeMap;

use crate::state::resource_policy;
use crate::state::rest::{MethodSetting, ObservedRestApi, Policies, RestApi, Stage};

use super::permissions::permission_changes;
use super::{
    deployment_reason, deployment_serves, diff_fields, hand_deployment_serves, Action, Change,
    FieldChange, Plan, PlanOptions,
};
use desired::{split_parent, DesiredRest};
use method::plan_method;
use ops::{MovedStage, Op, Patch, DEPLOYMENT_ID};

/// Plan a REST API. `observed` is None when the API does not exist yet.
pub fn plan(
    desired: &DesiredRest,
    observed: Option<&ObservedRestApi>,
    policies: &Policies,
    opts: PlanOptions,
) -> Plan {
    // Settings the spec leaves out are diffed against their own live values: never changed.
    let desired = &desired.keep_undeclared(observed);
    let mut p = Plan::default();
    let empty = RestApi::default();
    let obs_cfg = observed.map(|o| &o.config).unwrap_or(&empty);
    let api_name = desired.config.name.clone();

    // 1. The API itself.
    match observed {
        None => {
            p.push(
                Change::new(Action::Create, "rest_api", &api_name),
                Op::CreateRestApi {
                    name: api_name.clone(),
                    description: desired.config.description.clone(),
                    endpoint_type: desired.config.endpoint_type.clone(),
                    binary_media_types: desired.config.binary_media_types.clone(),
                    api_key_source: desired.config.api_key_source.clone(),
                    policy: desired.config.policy.as_ref().map(resource_policy::to_text),
                    vpc_endpoint_ids: desired.config.vpc_endpoint_ids.clone(),
                    tags: desired.tags.clone(),
                },
            );
        }
        Some(o) => {
            let (patches, fields) = api_patches(&desired.config, &o.config);
            if !patches.is_empty() {
                p.push_all(
                    Change::new(Action::Update, "rest_api", &api_name).fields(fields),
                    vec![Op::UpdateRestApi { patches }],
                );
            }
        }
    }

    // 2. Authorizers before the methods that reference them.
    for (name, want) in &desired.config.authorizers {
        match obs_cfg.authorizers.get(name) {
            None => p.push(
                Change::new(Action::Create, "authorizer", name),
                Op::CreateAuthorizer {
                    name: name.clone(),
                    def: want.clone(),
                },
            ),
            Some(have) if have != want => {
                let (patches, fields) = authorizer_patches(want, have);
                p.push_all(
                    Change::new(Action::Update, "authorizer", name).fields(fields),
                    vec![Op::UpdateAuthorizer {
                        name: name.clone(),
                        patches,
                    }],
                );
            }
            Some(_) => {}
        }
    }

    // 3. Resources, parents first (BTreeMap order puts `/a` before `/a/b`).
    for path in desired.config.resources.keys() {
        if path != "/" && !obs_cfg.resources.contains_key(path) {
            let (parent, part) = split_parent(path);
            p.push(
                Change::new(Action::Create, "resource", path),
                Op::CreateResource {
                    path: path.clone(),
                    parent,
                    path_part: part,
                },
            );
        }
    }

    // 3b. Models (referenced ones first) and request validators, before the methods.
    models::plan_before_methods(&mut p, &desired.config, obs_cfg);

    // 4. Methods with their responses and integrations.
    for (path, res) in &desired.config.resources {
        let have_res = obs_cfg.resources.get(path);
        for (verb, want) in &res.methods {
            let have = have_res.and_then(|r| r.methods.get(verb));
            plan_method(&mut p, path, verb, want, have);
        }
        if let Some(hr) = have_res {
            for verb in hr.methods.keys() {
                if !res.methods.contains_key(verb) {
                    p.remove_extra(
                        opts.prune,
                        Change::new(Action::Delete, "method", &format!("{verb} {path}")),
                        Op::DeleteMethod {
                            path: path.clone(),
                            method: verb.clone(),
                        },
                    );
                }
            }
        }
    }

    // 5. Gateway responses.
    for (t, want) in &desired.config.gateway_responses {
        if obs_cfg.gateway_responses.get(t) != Some(want) {
            let action = if obs_cfg.gateway_responses.contains_key(t) {
                Action::Update
            } else {
                Action::Create
            };
            let fields = match obs_cfg.gateway_responses.get(t) {
                Some(have) => diff_fields(Some(have), Some(want)),
                None => Vec::new(),
            };
            p.push(
                Change::new(action, "gateway_response", t).fields(fields),
                Op::PutGatewayResponse {
                    response_type: t.clone(),
                    def: want.clone(),
                },
            );
        }
    }

    // 6. What the spec does not declare: deleted on owned APIs (and with --prune),
    //    otherwise listed as kept. Resources (topmost only: children go with them), then
    //    authorizers (after the methods that used them moved away), gateway responses.
    let gone: Vec<&String> = obs_cfg
        .resources
        .keys()
        .filter(|k| *k != "/" && !desired.config.resources.contains_key(*k))
        .collect();
    for path in &gone {
        let (parent, _) = split_parent(path);
        if gone.iter().any(|g| **g == parent) {
            continue;
        }
        p.remove_extra(
            opts.prune,
            Change::new(Action::Delete, "resource", path),
            Op::DeleteResource {
                path: (*path).clone(),
            },
        );
    }
    for name in obs_cfg.authorizers.keys() {
        if !desired.config.authorizers.contains_key(name) {
            p.remove_extra(
                opts.prune,
                Change::new(Action::Delete, "authorizer", name),
                Op::DeleteAuthorizer { name: name.clone() },
            );
        }
    }
    for t in obs_cfg.gateway_responses.keys() {
        if !desired.config.gateway_responses.contains_key(t) {
            p.remove_extra(
                opts.prune,
                Change::new(Action::Delete, "gateway_response", t),
                Op::DeleteGatewayResponse {
                    response_type: t.clone(),
                },
            );
        }
    }

    // 6b. gwctl's validators and models the spec dropped, after the methods moved away.
    models::plan_after_methods(
        &mut p,
        &desired.config,
        obs_cfg,
        &observed.map(|o| o.owned_models.clone()).unwrap_or_default(),
    );

    // 7. Lambda permissions: one deterministic statement per function (and authorizer),
    //    added only when the policy lacks it.
    let api_id = observed.map(|o| o.id.as_str());
    let authorizer_ids = observed
        .map(|o| o.authorizer_ids.clone())
        .unwrap_or_default();
    for (change, ops) in permission_changes(&desired.permissions, policies, api_id, &authorizer_ids)
    {
        p.push_all(change, ops.into_iter().map(Op::from).collect());
    }

    // 8-9. At most one deployment, then the stages.
    let api_changed = p
        .ops
        .iter()
        .any(|op| !matches!(op, Op::AddPermission { .. } | Op::RemovePermission { .. }));
    // The resource policy is part of the mark only when the spec declares it.
    let policy = match desired.undeclared.policy {
        true => desired::PolicyMark::Undeclared,
        false => desired::PolicyMark::Declared,
    };
    let (mark, alias) = desired::marks(
        &predicted_config(&desired.config, observed.map(|o| &o.config), opts.prune),
        policy,
    );
    let reason = deployment_reason(api_changed);
    let adopted = observed.map(|o| {
        let mut o = desired::with_alias(o, &mark, alias.as_deref());
        for d in o.deployments.values_mut() {
            if hand_deployment_serves(d.description.as_deref(), opts, api_changed) {
                d.description = Some(mark.clone());
            }
        }
        o
    });
    plan_stages(
        &mut p,
        adopted.as_ref(),
        &desired.stages,
        &mark,
        &mark,
        opts.force_deploy,
        reason,
    );
    p
}

/// `gwctl destroy`: gwctl's permission statements for this API first (so a failure leaves
/// nothing gwctl added behind an API that is gone), then the API.
pub fn plan_destroy(observed: &ObservedRestApi, policies: &Policies) -> Plan {
    let id = observed.id.clone();
    let name = &observed.config.name;
    super::permissions::plan_destroy(
        &id,
        name,
        "rest_api",
        policies,
        Op::DeleteRestApi { id: id.clone() },
    )
}

/// The API configuration after the plan is applied: the desired one, plus what the plan
/// keeps without declaring it (an adopted API without `--prune`).
pub fn predicted_config(desired: &RestApi, observed: Option<&RestApi>, prune: bool) -> RestApi {
    let mut c = desired.clone();
    // The methods as the account will hold them (with the path parameters their paths
    // imply where the plan puts them or they exist), so that the mark of the plan is the
    // mark of the API read back.
    for (path, r) in c.resources.iter_mut() {
        let have = observed.and_then(|o| o.resources.get(path));
        for (verb, m) in r.methods.iter_mut() {
            *m = method::as_built(path, m, have.and_then(|h| h.methods.get(verb)));
        }
    }
    if let (false, Some(o)) = (prune, observed) {
        for (path, r) in &o.resources {
            let e = c.resources.entry(path.clone()).or_default();
            for (verb, m) in &r.methods {
                e.methods.entry(verb.clone()).or_insert_with(|| m.clone());
            }
        }
        for (n, a) in &o.authorizers {
            c.authorizers.entry(n.clone()).or_insert_with(|| a.clone());
        }
        for (t, g) in &o.gateway_responses {
            c.gateway_responses
                .entry(t.clone())
                .or_insert_with(|| g.clone());
        }
    }
    c
}

/// Deployment and stages: one `CreateDeployment` (with `description`, which starts with
/// `mark`) when some stage does not serve `mark` (or `force`), then each stage created or
/// pointed at it, with the settings that differ. The first existing stage with no setting to
/// change is pointed at it by the create-deployment call itself ([`MovedStage`]), so adding
/// a route to a one-stage API costs one deployment call, not two. Used by `apply` and
/// `deploy`.
pub fn plan_stages(
    p: &mut Plan,
    observed: Option<&ObservedRestApi>,
    stages: &BTreeMap<String, Stage>,
    mark: &str,
    description: &str,
    force: bool,
    reason: &str,
) {
    // A stage whose canary serves the configuration is left to `deploy --promote`: moving
    // the stage itself would release to everyone what is being tried on a share.
    let serves = |stage: &str| -> bool {
        observed
            .and_then(|o| {
                let st = o.stages.get(stage)?;
                let on = |d: Option<&str>| {
                    d.and_then(|d| o.deployments.get(d))
                        .is_some_and(|d| deployment_serves(d.description.as_deref(), mark))
                };
                Some(
                    on(st.deployment_id.as_deref())
                        || st
                            .settings
                            .canary
                            .as_ref()
                            .is_some_and(|c| on(c.deployment_id.as_deref())),
                )
            })
            .unwrap_or(false)
    };
    let stale: Vec<&String> = stages.keys().filter(|s| force || !serves(s)).collect();
    // The first stale stage that exists and has no setting to change is moved by the
    // create-deployment call itself (one call instead of two).
    let moved = stale
        .iter()
        .copied()
        .find(|s| {
            observed
                .and_then(|o| o.stages.get(*s))
                .is_some_and(|h| stage_patches(&stages[*s], &h.settings).0.is_empty())
        })
        .cloned();
    let mut deployment_op = None;
    if !stale.is_empty() {
        let names: Vec<String> = stale.iter().map(|s| s.to_string()).collect();
        deployment_op = Some(p.ops.len());
        p.push(
            Change::new(Action::Create, "deployment", &names.join(", ")).fields(vec![
                FieldChange {
                    field: "reason".into(),
                    old: None,
                    new: Some(reason.into()),
                },
            ]),
            Op::CreateDeployment {
                description: description.to_string(),
                stage: moved.as_ref().map(|name| MovedStage {
                    name: name.clone(),
                    settings: stages[name].clone(),
                }),
            },
        );
    }
    for (name, want) in stages {
        let have = observed.and_then(|o| o.stages.get(name));
        let redeploy = stale.contains(&name);
        if let (Some(h), Some(op)) = (have, deployment_op) {
            if moved.as_ref() == Some(name) {
                // Shown as a change of its own, carried out by the deployment's call.
                let mut change =
                    Change::new(Action::Update, "stage", name).fields(vec![FieldChange {
                        field: "deployment".into(),
                        old: h.deployment_id.clone(),
                        new: Some("(new deployment)".into()),
                    }]);
                change.ops = vec![op];
                p.changes.push(change);
                continue;
            }
        }
        match have {
            None => {
                let created = Stage {
                    description: want.description.clone(),
                    variables: want.variables.clone(),
                    tracing_enabled: Some(want.tracing_enabled.unwrap_or(false)),
                    ..Default::default()
                };
                let (patches, fields) = stage_patches(want, &created);
                let mut ops = vec![Op::CreateStage {
                    name: name.clone(),
                    description: want.description.clone(),
                    variables: want.variables.clone(),
                    tracing_enabled: want.tracing_enabled.unwrap_or(false),
                }];
                if !patches.is_empty() {
                    ops.push(Op::UpdateStage {
                        name: name.clone(),
                        patches,
                    });
                }
                p.push_all(
                    Change::new(Action::Create, "stage", name).fields(fields),
                    ops,
                );
            }
            Some(h) => {
                let (mut patches, mut fields) = stage_patches(want, &h.settings);
                if redeploy {
                    patches.insert(0, Patch::replace("/deploymentId", DEPLOYMENT_ID));
                    fields.insert(
                        0,
                        FieldChange {
                            field: "deployment".into(),
                            old: h.deployment_id.clone(),
                            new: Some("(new deployment)".into()),
                        },
                    );
                }
                if !patches.is_empty() {
                    p.push_all(
                        Change::new(Action::Update, "stage", name).fields(fields),
                        vec![Op::UpdateStage {
                            name: name.clone(),
                            patches,
                        }],
                    );
                }
            }
        }
    }
}

fn api_patches(want: &RestApi, have: &RestApi) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    if want.description != have.description {
        patches.push(Patch::replace(
            "/description",
            want.description.clone().unwrap_or_default(),
        ));
        fields.push(FieldChange::of(
            "description",
            &have.description,
            &want.description,
        ));
    }
    if want.binary_media_types != have.binary_media_types {
        for t in &have.binary_media_types {
            if !want.binary_media_types.contains(t) {
                patches.push(Patch::remove(format!("/binaryMediaTypes/{}", escape(t))));
            }
        }
        for t in &want.binary_media_types {
            if !have.binary_media_types.contains(t) {
                patches.push(Patch::add(format!("/binaryMediaTypes/{}", escape(t)), ""));
            }
        }
        fields.push(FieldChange::of(
            "binary_media_types",
            &have.binary_media_types,
            &want.binary_media_types,
        ));
    }
    if want.api_key_source != have.api_key_source {
        // Normalised: `None` is HEADER, AWS's default (shown as what it is, never "(none)").
        let shown = |s: &Option<String>| s.clone().unwrap_or_else(|| "HEADER".into());
        patches.push(Patch::replace("/apiKeySource", shown(&want.api_key_source)));
        fields.push(FieldChange::of(
            "api_key_source",
            &shown(&have.api_key_source),
            &shown(&want.api_key_source),
        ));
    }
    if want.endpoint_type != have.endpoint_type && !have.endpoint_type.is_empty() {
        patches.push(Patch::replace(
            format!("/endpointConfiguration/types/{}", have.endpoint_type),
            want.endpoint_type.clone(),
        ));
        fields.push(FieldChange::of(
            "endpoint",
            &have.endpoint_type,
            &want.endpoint_type,
        ));
    }
    if want.vpc_endpoint_ids != have.vpc_endpoint_ids {
        // One value per operation, as AWS documents it; all in the one update-rest-api.
        for id in &have.vpc_endpoint_ids {
            if !want.vpc_endpoint_ids.contains(id) {
                patches.push(Patch {
                    op: "remove".into(),
                    path: "/endpointConfiguration/vpcEndpointIds".into(),
                    value: Some(id.clone()),
                    from: None,
                });
            }
        }
        for id in &want.vpc_endpoint_ids {
            if !have.vpc_endpoint_ids.contains(id) {
                patches.push(Patch::add(
                    "/endpointConfiguration/vpcEndpointIds",
                    id.clone(),
                ));
            }
        }
        fields.push(FieldChange::of(
            "vpc_endpoint_ids",
            &have.vpc_endpoint_ids,
            &want.vpc_endpoint_ids,
        ));
    }
    if want.policy != have.policy {
        // Only a declared policy differs here (an undeclared one keeps its live value), so
        // a replace is always what is wanted.
        if let Some(p) = &want.policy {
            patches.push(Patch::replace("/policy", resource_policy::to_text(p)));
        }
        let shown = |p: &Option<serde_json::Value>| {
            p.as_ref()
                .map(resource_policy::to_text)
                .unwrap_or_else(|| "(none)".into())
        };
        fields.push(FieldChange::of(
            "policy",
            &shown(&have.policy),
            &shown(&want.policy),
        ));
    }
    (patches, fields)
}

fn authorizer_patches(
    want: &crate::state::rest::Authorizer,
    have: &crate::state::rest::Authorizer,
) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    let mut opt = |name: &str, path: &str, w: &Option<String>, h: &Option<String>| {
        if w != h {
            patches.push(Patch::replace(path, w.clone().unwrap_or_default()));
            fields.push(FieldChange::of(name, h, w));
        }
    };
    opt(
        "type",
        "/type",
        &Some(want.kind.clone()),
        &Some(have.kind.clone()),
    );
    opt(
        "authorizer_uri",
        "/authorizerUri",
        &want.authorizer_uri,
        &have.authorizer_uri,
    );
    opt(
        "identity_source",
        "/identitySource",
        &want.identity_source,
        &have.identity_source,
    );
    opt(
        "validation_expression",
        "/identityValidationExpression",
        &want.identity_validation_expression,
        &have.identity_validation_expression,
    );
    let ttl = |t: Option<i32>| t.map(|v| v.to_string());
    opt(
        "ttl",
        "/authorizerResultTtlInSeconds",
        &ttl(want.ttl_seconds),
        &ttl(have.ttl_seconds),
    );
    if want.provider_arns != have.provider_arns {
        for a in &have.provider_arns {
            if !want.provider_arns.contains(a) {
                patches.push(Patch::remove(format!("/providerARNs/{a}")));
            }
        }
        for a in &want.provider_arns {
            if !have.provider_arns.contains(a) {
                patches.push(Patch::add("/providerARNs", a.clone()));
            }
        }
        fields.push(FieldChange::of(
            "provider_arns",
            &have.provider_arns,
            &want.provider_arns,
        ));
    }
    (patches, fields)
}

/// `~1` escapes `/` in patch paths (JSON pointer).
fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Method-settings key (`*/*`, `/todos/GET`) to its patch path prefix (`/*/*`, `/~1todos/GET`).
fn setting_prefix(key: &str) -> String {
    if key == "*/*" {
        return "/*/*".into();
    }
    match key.rfind('/') {
        Some(i) => format!("/{}/{}", escape(&key[..i]), &key[i + 1..]),
        None => format!("/{key}"),
    }
}

/// The update-stage patches (and the fields they change) that bring the settings `have` to
/// what `want` manages. Also used by the executor to check a [`MovedStage`].
pub fn stage_patches(want: &Stage, have: &Stage) -> (Vec<Patch>, Vec<FieldChange>) {
    let mut patches = Vec::new();
    let mut fields = Vec::new();
    if want.description.is_some() && want.description != have.description {
        patches.push(Patch::replace(
            "/description",
            want.description.clone().unwrap_or_default(),
        ));
        fields.push(FieldChange::of(
            "description",
            &have.description,
            &want.description,
        ));
    }
    for (k, v) in &want.variables {
        if have.variables.get(k) != Some(v) {
            patches.push(Patch::replace(format!("/variables/{k}"), v.clone()));
            fields.push(FieldChange::of(
                &format!("variables.{k}"),
                &have.variables.get(k),
                &Some(v),
            ));
        }
    }
    for k in have.variables.keys() {
        if !want.variables.contains_key(k) {
            patches.push(Patch::remove(format!("/variables/{k}")));
            fields.push(FieldChange::of(
                &format!("variables.{k}"),
                &have.variables.get(k),
                &None::<&String>,
            ));
        }
    }
    for (key, w) in &want.method_settings {
        let h = have.method_settings.get(key).cloned().unwrap_or_default();
        let prefix = setting_prefix(key);
        let label = if key == "*/*" {
            String::new()
        } else {
            format!("{key} ")
        };
        diff_fields_into(
            &mut patches,
            &mut fields,
            &prefix,
            &label,
            METHOD_FIELDS,
            w,
            &h,
        );
    }
    diff_fields_into(&mut patches, &mut fields, "", "", STAGE_FIELDS, want, have);
    if let (Some(w), Some(h)) = (&want.canary, &have.canary) {
        let (p, f) = canary::canary_patches(w, h);
        patches.extend(p);
        fields.extend(f);
    }
    if let Some(al) = &want.access_log {
        if have.access_log.as_ref() != Some(al) {
            patches.push(Patch::replace(
                "/accessLogSettings/destinationArn",
                al.destination_arn.clone(),
            ));
            patches.push(Patch::replace(
                "/accessLogSettings/format",
                al.format.clone(),
            ));
            fields.push(FieldChange::of(
                "access_log.destination",
                &have.access_log.as_ref().map(|a| a.destination_arn.clone()),
                &Some(al.destination_arn.clone()),
            ));
        }
    }
    (patches, fields)
}

/// One field of a stage or a method setting: its patch path (under the method setting's
/// prefix), its name in the plan (after the route's label), and its diff ([`changed`]).
type Field<S> = (
    &'static str,
    &'static str,
    fn(&S, &S) -> Option<(String, FieldChange)>,
);

/// The stage's own fields that are diffed one by one (after its method settings).
const STAGE_FIELDS: &[Field<Stage>] = &[
    ("/tracingEnabled", "tracing", |w, h| {
        changed(
            &w.tracing_enabled,
            &h.tracing_enabled,
            Some(false),
            bool::to_string,
        )
    }),
    ("/cacheClusterEnabled", "cache.enabled", |w, h| {
        changed(
            &w.cache_cluster_enabled,
            &h.cache_cluster_enabled,
            Some(false),
            bool::to_string,
        )
    }),
    ("/cacheClusterSize", "cache.size", |w, h| {
        changed(
            &w.cache_cluster_size,
            &h.cache_cluster_size,
            None,
            String::clone,
        )
    }),
];

/// The fields of a method setting (`*/*` or a route's), in plan order. How `have` reads when
/// the service holds no value: `OFF` and `false`, else it compares exactly. Caching is
/// exact, not "absent = off": a route without a setting of its own inherits the stage-wide
/// one (a GET on a cached stage is cached), so `enabled: false` on a route must be written
/// even when the service holds no setting for it.
const METHOD_FIELDS: &[Field<MethodSetting>] = &[
    ("/logging/loglevel", "logging", |w, h| {
        changed(
            &w.logging_level,
            &h.logging_level,
            Some("OFF".into()),
            String::clone,
        )
    }),
    ("/logging/dataTrace", "data_trace", |w, h| {
        changed(&w.data_trace, &h.data_trace, Some(false), bool::to_string)
    }),
    ("/metrics/enabled", "metrics", |w, h| {
        changed(&w.metrics, &h.metrics, Some(false), bool::to_string)
    }),
    ("/throttling/rateLimit", "throttle.rate", |w, h| {
        changed(&w.throttle_rate, &h.throttle_rate, None, |r| fmt_f64(*r))
    }),
    ("/throttling/burstLimit", "throttle.burst", |w, h| {
        changed(&w.throttle_burst, &h.throttle_burst, None, i32::to_string)
    }),
    ("/caching/enabled", "caching", |w, h| {
        changed(
            &w.caching_enabled,
            &h.caching_enabled,
            None,
            bool::to_string,
        )
    }),
    ("/caching/ttlInSeconds", "cache.ttl", |w, h| {
        changed(&w.cache_ttl, &h.cache_ttl, None, i32::to_string)
    }),
    ("/caching/dataEncrypted", "cache.encrypted", |w, h| {
        changed(
            &w.cache_encrypted,
            &h.cache_encrypted,
            Some(false),
            bool::to_string,
        )
    }),
];

/// A field `want` declares and `have` (read as `absent` when the service holds no value)
/// lacks: the value to write, as `render` writes it, and the plan's change (unnamed).
fn changed<T: PartialEq + Clone + std::fmt::Debug + serde::Serialize>(
    want: &Option<T>,
    have: &Option<T>,
    absent: Option<T>,
    render: fn(&T) -> String,
) -> Option<(String, FieldChange)> {
    let w = want.as_ref()?;
    let differs = have.clone().or(absent).as_ref() != Some(w);
    differs.then(|| (render(w), FieldChange::of("", have, want)))
}

/// A `replace` patch and a named change for every field of `rows` that differs.
fn diff_fields_into<S>(
    patches: &mut Vec<Patch>,
    fields: &mut Vec<FieldChange>,
    prefix: &str,
    label: &str,
    rows: &[Field<S>],
    want: &S,
    have: &S,
) {
    for (path, name, diff) in rows {
        if let Some((value, change)) = diff(want, have) {
            patches.push(Patch::replace(format!("{prefix}{path}"), value));
            fields.push(FieldChange {
                field: format!("{label}{name}"),
                ..change
            });
        }
    }
}

fn fmt_f64(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod canary_tests;
#[cfg(test)]
mod models_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
pub(crate) mod tests;
