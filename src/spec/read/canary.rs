//! A REST stage's `canary:` (issue 18 item 5): the share of traffic and the stage variables
//! of the canary release `gwctl deploy --stage NAME --canary [N]` creates.

use crate::spec::limits;
use crate::spec::model::*;
use crate::spec::yaml::{Node, Value};

use super::{nonneg_number, read_variables, Cx, MapReader};

pub(crate) const CANARY_KEYS: &[&str] = &["percent", "variables"];

pub(crate) fn read_canary(cx: &mut Cx, n: &Node) -> Option<CanaryDef> {
    let mut m = MapReader::open(cx, n, "`canary`", CANARY_KEYS)?;
    let mut ok = true;
    let percent = m.get("percent").and_then(|p| {
        let v = nonneg_number(cx, p, "canary.percent")?;
        if v > 100.0 {
            cx.err(
                p,
                format!(
                    "`canary.percent` must be between 0 and 100, found `{}`",
                    p.raw
                ),
                Some("the canary's share of the stage's traffic, in percent".into()),
            );
            ok = false;
            return None;
        }
        Some(v)
    });
    let variables = m.get("variables").map(|vs| {
        if let Value::Map(es) = &vs.value {
            limits::count(cx, vs, es.len(), 0, limits::STAGE_VARIABLES);
        }
        read_variables(cx, vs, "canary.variables")
    });
    m.finish(cx);
    ok.then_some(CanaryDef {
        pos: n.pos,
        percent,
        variables,
    })
}
