#!/usr/bin/env python3
"""The definition path against the granular path, on LocalStack behind the quota simulator.

    definition.py --gwctl target/debug/gwctl --localstack http://127.0.0.1:4566 [--sizes 5,100,300]

For each size N: generate a REST API of N routes with CORS (gen_spec.py), start
scripts/quota_proxy.py (published quotas, --strict) in front of LocalStack, then run
`gwctl apply` once granularly and once with `--definition` (APIs of different names), each
followed by a no-op `gwctl apply` (must make no write) and `gwctl plan --detailed-exitcode`
(must exit 0), and the sequential boto3 script of the benchmark (baseline_boto3.py, seed
004's style; no proxy --strict for it, it is not ours to fix) on a third API. Prints one
Markdown table row per run: size, path, wall seconds of the first apply, API Gateway calls,
writes, 429s, writes of the no-op apply; then the calls per operation of every run
(`--paths` picks the runs). LocalStack must already run (scripts/localstack.sh start); the
functions bench-fn-0..9 are created on it. Needs boto3 (LocalStack's venv has it).
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "NO_COLOR": "1",
}


def functions(endpoint):
    import boto3

    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return {'statusCode': 200}\n")
    for i in range(10):
        name = f"bench-fn-{i}"
        try:
            lam.get_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            lam.create_function(FunctionName=name, Runtime="python3.12",
                                Role="arn:aws:iam::000000000000:role/bench",
                                Handler="index.handler", Code={"ZipFile": b.getvalue()})


def proxy(upstream, strict=True):
    p = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts/quota_proxy.py"), "--upstream", upstream,
         "--port", "0", "--exit-on-stdin-eof", "--lifetime", "3600"]
        + (["--strict"] if strict else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line.startswith("listening "), line
    return p, line[len("listening "):]


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/__quota/stats") as r:
        return json.load(r)


def run(gwctl, endpoint, args):
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, **ENV)
    return subprocess.run([gwctl] + args, env=env, capture_output=True, text=True)


def writes_of(calls):
    return sum(v for k, v in calls.items() if not k.startswith("Get"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gwctl", required=True)
    p.add_argument("--localstack", required=True)
    p.add_argument("--sizes", default="5,100,300")
    p.add_argument("--paths", default="granular,definition,boto3")
    a = p.parse_args(argv)
    functions(a.localstack)
    stamp = int(time.time())
    per_op = []
    print("| routes | path | apply wall (s) | API Gateway calls | writes | 429s | no-op writes |")
    print("|---|---|---|---|---|---|---|")
    for n in [int(s) for s in a.sizes.split(",")]:
        for path in a.paths.split(","):
            d = tempfile.mkdtemp()
            name = f"bench-{path}-{n}-{stamp}"
            subprocess.run([sys.executable, os.path.join(HERE, "gen_spec.py"), "--routes", str(n),
                            "--out", d, "--name", name], check=True, stdout=subprocess.DEVNULL)
            spec = os.path.join(d, "spec.yaml")
            px, endpoint = proxy(a.localstack, strict=path != "boto3")
            try:
                t = time.monotonic()
                if path == "boto3":
                    r = subprocess.run(
                        [sys.executable, os.path.join(HERE, "baseline_boto3.py"), "--model",
                         os.path.join(d, "model.json"), "--mode", "create", "--endpoint",
                         endpoint], env=dict(os.environ, **ENV), capture_output=True,
                        text=True)
                else:
                    extra = ["--definition"] if path == "definition" else []
                    r = run(a.gwctl, endpoint, ["apply", spec, "--yes"] + extra)
                wall = time.monotonic() - t
                ok = r.returncode == 0
                s = stats(endpoint)
                calls = s["calls"].get("apigateway", {})
                total = sum(calls.values())
                throttled = sum(s["throttled"].get("apigateway", {}).values())
                per_op.append((f"{n} {path}", dict(calls)))
                noop = "–"
                if path != "boto3":
                    if not ok:
                        sys.exit(f"apply failed:\n{r.stderr}")
                    urllib.request.urlopen(urllib.request.Request(
                        endpoint + "/__quota/reset", data=b"", method="POST")).read()
                    again = run(a.gwctl, endpoint, ["apply", spec, "--yes"])
                    if again.returncode != 0:
                        sys.exit(f"no-op apply failed:\n{again.stderr}")
                    noop = writes_of(stats(endpoint)["calls"].get("apigateway", {}))
                    plan = run(a.gwctl, endpoint, ["plan", spec, "--detailed-exitcode"])
                    if plan.returncode != 0:
                        sys.exit(f"plan after apply is not empty:\n{plan.stdout}{plan.stderr}")
                label = path if ok else f"{path} (failed)"
                print(f"| {n} | {label} | {wall:.1f} | {total} | {writes_of(calls)} | "
                      f"{throttled} | {noop} |", flush=True)
            finally:
                px.stdin.close()
                px.wait()
    print()
    print("Calls per operation of each first apply:")
    print()
    print("| operation | " + " | ".join(k for k, _ in per_op) + " |")
    print("|---|" + "---:|" * len(per_op))
    for op in sorted({op for _, c in per_op for op in c}):
        print(f"| {op} | " + " | ".join(str(c.get(op, 0)) for _, c in per_op) + " |")


if __name__ == "__main__":
    main()
