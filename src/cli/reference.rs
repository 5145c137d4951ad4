//! docs/cli.md, generated from the clap definitions ([`super::command`]): every verb, its
//! arguments and flags, its examples, and the exit status. A test compares the file with
//! [`markdown`]; `GWCTL_BLESS=1 cargo test --test it docs::` rewrites it after a CLI change.

use clap::Arg;

const INTRO: &str = "\
# gwctl command reference

<!-- Generated from the clap definitions (src/cli) by `GWCTL_BLESS=1 cargo test --test it docs::`.
     Do not edit by hand: tests/it/docs.rs fails when this file and `gwctl --help` disagree. -->

`gwctl VERB [OPTIONS] [ARGS]`. The same text is in `gwctl VERB --help` and in the man page
(`gwctl man`). Every example on this page is checked by the test suite.

## Output

- **stdout carries only data**: the plan, the report, the JSON document, the schema.
  Progress, warnings, hints and logs go to **stderr**.
- `--output json` prints exactly one JSON document per run, with a `schema_version`
  ([json.md](json.md)). `completions` and `man` print shell code and roff whatever `--output` says.
- On a terminal (stderr is a TTY) `apply`, `deploy` and `destroy` show a progress bar with the
  current operation and an ETA; otherwise (CI, pipes, files) one plain line per step
  (`[3/41] PutMethod GET /todos`) with no control characters. `--verbose` adds one line per AWS
  call with its duration and retries (`aws apigateway.PutMethod 12ms`), never a header, body
  or credential.
- Colour: `--color auto` (default) colours only when stderr is a terminal and `NO_COLOR` is
  unset or empty and `TERM` is not `dumb`; `--color always` / `--color never` decide outright.
- Confirmation prompts (`apply`, `destroy`) appear only when stdin and stderr are terminals;
  without one gwctl proceeds, unless `--require-approval` (then it refuses without `--yes`).
- A closed stdout (`gwctl plan SPEC | head -1`) ends gwctl quietly.

## AWS settings

gwctl resolves AWS settings like the AWS CLI, through aws-config:

| setting | flag | environment | shared config |
|---|---|---|---|
| profile | `--profile NAME` | `AWS_PROFILE` | `[profile NAME]` in `~/.aws/config` |
| region | `--region REGION` | `AWS_REGION`, `AWS_DEFAULT_REGION` | the profile's `region` |
| endpoint | `--endpoint-url URL` | `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_API_GATEWAY`, `AWS_ENDPOINT_URL_LAMBDA` | the profile's `endpoint_url` |
| credentials | | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | `~/.aws/credentials`, or the profile's `sso_session` / `sso_*`, `role_arn` + `source_profile` / `credential_source`, `credential_process`, `web_identity_token_file` |

SSO profiles need a login first (`aws sso login --profile NAME`); assume-role profiles are
assumed by gwctl itself (the source credentials must be allowed `sts:AssumeRole`). Web
identity (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`, e.g. GitHub Actions OIDC), ECS/EKS
container credentials and EC2 instance metadata are used when nothing else is set.

Every verb that calls AWS resolves the region and the credentials before its first call and
stops with what to set when one is missing:

```text
error: no AWS region configured
hint: pass `--region REGION` (e.g. `--region us-east-1`), set AWS_REGION, or add `region = REGION` to profile `default` in ~/.aws/config
```

`gwctl doctor` checks all of this, plus the account's API Gateway CloudWatch Logs role.
";

/// docs/cli.md as the current clap definitions describe it.
pub fn markdown() -> String {
    let mut cmd = super::command();
    cmd.build();
    let mut s = String::from(INTRO);

    s.push_str("\n## Exit status\n\n| code | meaning |\n|---|---|\n");
    for line in crate::exit::HELP.lines().skip(1) {
        let line = line.trim();
        if let Some((code, meaning)) = line.split_once(char::is_whitespace) {
            s.push_str(&format!("| `{code}` | {} |\n", meaning.trim()));
        }
    }

    s.push_str("\n## Options of every verb\n\n");
    let globals: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
        .collect();
    table(&mut s, &globals);
    let global_ids: Vec<String> = globals.iter().map(|a| a.get_id().to_string()).collect();

    s.push_str("\n## Verbs\n\n");
    for sub in cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
    {
        s.push_str(&format!(
            "- [`{}`](#gwctl-{}): {}\n",
            sub.get_name(),
            sub.get_name(),
            sub.get_about().map(|a| a.to_string()).unwrap_or_default()
        ));
    }

    let names: Vec<String> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        let sub = cmd
            .find_subcommand_mut(&name)
            .expect("listed subcommand exists");
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim().to_string();
        while s.ends_with("\n\n") {
            s.pop();
        }
        s.push_str(&format!("\n## gwctl {name}\n\n"));
        if let Some(about) = sub.get_about() {
            s.push_str(&format!("{about}.\n\n"));
        }
        s.push_str(&format!("```text\n{usage}\n```\n\n"));
        let own: Vec<&Arg> = sub
            .get_arguments()
            .filter(|a| {
                !a.is_hide_set()
                    && !global_ids.iter().any(|g| g == a.get_id().as_str())
                    && !matches!(a.get_id().as_str(), "help" | "version")
            })
            .collect();
        if !own.is_empty() {
            table(&mut s, &own);
            s.push('\n');
        }
        if let Some(after) = sub.get_after_help() {
            after_help(&mut s, &after.to_string());
        }
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

fn table(s: &mut String, args: &[&Arg]) {
    s.push_str("| argument | meaning |\n|---|---|\n");
    for a in args {
        let value = a
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        let takes_value = a.get_action().takes_values();
        let name = match (a.get_short(), a.get_long()) {
            _ if a.is_positional() => {
                let multiple = a.get_num_args().is_some_and(|n| n.max_values() > 1);
                format!("`{value}{}`", if multiple { "..." } else { "" })
            }
            (Some(c), Some(l)) if takes_value => format!("`-{c}, --{l} {value}`"),
            (Some(c), Some(l)) => format!("`-{c}, --{l}`"),
            (None, Some(l)) if takes_value => format!("`--{l} {value}`"),
            (None, Some(l)) => format!("`--{l}`"),
            (Some(c), None) => format!("`-{c}`"),
            (None, None) => format!("`{value}`"),
        };
        let mut help = a
            .get_help()
            .map(|h| h.to_string())
            .unwrap_or_default()
            .replace('\n', " ")
            .replace('|', "\\|");
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("`{}`", v.get_name()))
            .collect();
        if !values.is_empty() && takes_value {
            help.push_str(&format!(" (one of {})", values.join(", ")));
        }
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && takes_value {
            help.push_str(&format!("; default `{}`", defaults.join(",")));
        }
        if a.is_required_set() && !a.is_positional() {
            help.push_str("; required");
        }
        s.push_str(&format!("| {} | {help} |\n", name.replace('|', "\\|")));
    }
}

/// The verb's after-help: EXAMPLES as a shell block, prose as a paragraph, EXIT STATUS
/// left out (it is the same for every verb, in its own section above).
fn after_help(s: &mut String, text: &str) {
    let text = text.split("EXIT STATUS:").next().unwrap_or_default();
    let mut examples = Vec::new();
    let mut prose = Vec::new();
    for line in text.lines() {
        if line.trim() == "EXAMPLES:" {
            continue;
        }
        if let Some(ex) = line.strip_prefix("  ") {
            examples.push(ex.to_string());
        } else if !line.trim().is_empty() {
            prose.push(line.trim().to_string());
        }
    }
    if !examples.is_empty() {
        s.push_str("Examples:\n\n```sh\n");
        for e in &examples {
            s.push_str(e);
            s.push('\n');
        }
        s.push_str("```\n\n");
    }
    if !prose.is_empty() {
        s.push_str(&prose.join(" "));
        s.push('\n');
    }
}
