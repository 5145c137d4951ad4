#!/usr/bin/env python3
"""gwctl's benchmark: the same job done by gwctl, a sequential boto3 script (seed 004's style)
and a shell script calling the aws CLI once per call (seed 003's style), for generated REST
APIs of several sizes with CORS, with and without the quota simulator. Run it through
scripts/bench.sh, which prepares the tools; results go to a JSON file and a Markdown report.

HTTP APIs of the same routes (--http-sizes, reported as h<size>) and WebSocket APIs of N route
keys (--ws-sizes, reported as w<size>; scenarios first, noop, plan, add) are applied by gwctl
only.

For each size, tool and mode (`sim`: scripts/quota_proxy.py enforcing the published quotas;
`free`: the same proxy counting only, and gwctl run with `--max-rps off`), three scenarios:
  first   an empty account -> the API (baselines: their create script)
  noop    the same spec again (baselines: their re-runnable script)
  add     the spec with one more route on a new path (baselines: their re-runnable script)
  plan    (WebSocket APIs) `gwctl plan --detailed-exitcode` of the applied spec: exit 0, reads
Each run starts with the simulator's buckets full and its counters zeroed. Per run it records
the wall time, the calls per operation the simulator saw, the 429s it answered, and the lower
bound the counted calls allow under the quotas: the slowest bucket, with every bucket full at
the start (the account total of 10/s burst 40 for all API Gateway calls, and each operation's
own quota). ratio = wall / bound.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = ("first", "noop", "add")
ACCOUNT = "123456789012"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"no answer from {url}")


def post(url, body=b""):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read() or b"{}")


def get(url):
    return json.loads(urllib.request.urlopen(url, timeout=30).read())


class Proxy:
    def __init__(self, python, upstream, extra):
        self.p = subprocess.Popen(
            [python, os.path.join(REPO, "scripts", "quota_proxy.py"), "--upstream", upstream,
             "--port", "0", "--lifetime", "21600", "--exit-on-stdin-eof"] + extra,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if not line.startswith("listening "):
            raise SystemExit(f"quota proxy did not start: {line!r}")
        self.url = line[len("listening "):]

    def reset(self):
        post(self.url + "/__quota/reset")

    def stats(self):
        return get(self.url + "/__quota/stats")

    def table(self):
        return get(self.url + "/__quota/table")

    def stop(self):
        self.p.kill()
        self.p.wait()


def lower_bound(calls, table):
    """Seconds the counted calls need at least under the quotas (every bucket full at t=0)."""
    def need(n, q):
        return max(0.0, (n - q["burst"]) / q["rate"])

    worst = 0.0
    for service, t in (("apigateway", table["apigateway"]), ("lambda", table["lambda"])):
        ops = dict(calls.get(service, {}))
        if service == "apigateway":
            for op, n in calls.get("apigatewayv2", {}).items():
                ops[op] = ops.get(op, 0) + n
        in_total = sum(n for op, n in ops.items() if op not in t["apart"])
        worst = max(worst, need(in_total, t["total"]))
        per = {}
        for op, n in ops.items():
            key = "CreateRestApi" if op == "ImportRestApi" else op
            if key in t["operations"]:
                per[key] = per.get(key, 0) + n
        for key, n in per.items():
            worst = max(worst, need(n, t["operations"][key]))
    return worst


def is_write(op):
    return not op.startswith(("Get", "List"))


class Bench:
    def __init__(self, a):
        self.a = a
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("AWS_") or k == "GWCTL_MAX_RPS":
                del self.env[k]
        self.env.update({
            "AWS_ACCESS_KEY_ID": "AKIDGWCTLBENCH", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        port = free_port()
        self.moto_url = f"http://127.0.0.1:{port}"
        self.moto = subprocess.Popen([a.moto_server, "-H", "127.0.0.1", "-p", str(port)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_http(self.moto_url + "/moto-api/data.json")
        self.proxies = {
            "sim": Proxy(a.python, self.moto_url, []),
            "aws": Proxy(a.python, self.moto_url, ["--latency-ms", str(a.latency_ms)]),
            "free": Proxy(a.python, self.moto_url, ["--no-quotas"]),
        }
        self.table = self.proxies["sim"].table()
        self.results = []

    def stop(self):
        for p in self.proxies.values():
            p.stop()
        self.moto.kill()
        self.moto.wait()

    def reset_account(self, functions):
        post(self.moto_url + "/moto-api/reset")
        code = (
            "import boto3,io,json,sys,zipfile\n"
            "kw=dict(endpoint_url=sys.argv[1],region_name='us-east-1')\n"
            "iam=boto3.client('iam',**kw);lam=boto3.client('lambda',**kw)\n"
            "iam.create_role(RoleName='bench',AssumeRolePolicyDocument=json.dumps("
            "{'Version':'2012-10-17','Statement':[]}))\n"
            "b=io.BytesIO();z=zipfile.ZipFile(b,'w');z.writestr('index.py','def handler(e,c): "
            "return {}');z.close()\n"
            "for f in sys.argv[2:]:\n"
            " lam.create_function(FunctionName=f,Runtime='python3.12',Role='arn:aws:iam::"
            f"{ACCOUNT}:role/bench',Handler='index.handler',Code={{'ZipFile':b.getvalue()}})\n"
            # the account-level CloudWatch Logs role stages with logging need (gwctl checks it
            # before any write, as `gwctl doctor` does); not part of what is measured
            "boto3.client('apigateway',**kw).update_account(patchOperations=[{'op':'replace',"
            f"'path':'/cloudwatchRoleArn','value':'arn:aws:iam::{ACCOUNT}:role/bench'}}])\n"
            # moto loads a backend on its first call (Lambda policies: over a second); warm
            # up the ones a run reads, so that no run pays for it
            "boto3.client('apigatewayv2',**kw).get_apis()\n"
            "try: lam.get_policy(FunctionName=sys.argv[2])\n"
            "except lam.exceptions.ResourceNotFoundException: pass\n"
        )
        subprocess.run([self.a.python, "-c", code, self.moto_url] + functions,
                       env=self.env, check=True)

    def per_call_cost(self, url, n=200):
        """Mean seconds per GetRestApis answered at `url` (a new connection per call)."""
        auth = ("AWS4-HMAC-SHA256 Credential=AKIDGWCTLBENCH/20260101/us-east-1/apigateway/"
                "aws4_request, SignedHeaders=host, Signature=0")
        def one():
            req = urllib.request.Request(url + "/restapis", headers={"Authorization": auth})
            urllib.request.urlopen(req, timeout=30).read()

        for _ in range(20):  # warm up (moto loads a service's backend on first use)
            one()
        start = time.monotonic()
        for _ in range(n):
            one()
        return (time.monotonic() - start) / n

    def command(self, tool, scenario, d, proxy_url, mode):
        spec = os.path.join(d["extra" if scenario == "add" else "base"], "spec.yaml")
        model = os.path.join(d["extra" if scenario == "add" else "base"], "model.json")
        if tool == "gwctl":
            cmd = [self.a.gwctl, "apply", spec, "--yes", "--output", "json"]
            if scenario == "plan":
                cmd = [self.a.gwctl, "plan", spec, "--detailed-exitcode", "--output", "json"]
            if mode == "free":
                cmd[1:1] = ["--max-rps", "off"]
            return cmd, {"AWS_ENDPOINT_URL": proxy_url}
        if tool == "boto3":
            return ([self.a.python, os.path.join(HERE, "baseline_boto3.py"), "--model", model,
                     "--mode", "create" if scenario == "first" else "update",
                     "--endpoint", proxy_url], {})
        script = os.path.join(d["extra" if scenario == "add" else "base"],
                              "awscli-create.sh" if scenario == "first" else "awscli-update.sh")
        return ["bash", script], {"AWS_ENDPOINT_URL": proxy_url, "AWS_CLI": self.a.aws_cli}

    def todo(self, mode):
        """specs/todo.yaml with gwctl's default settings: first and second apply."""
        proxy = self.proxies[mode]
        spec = os.path.join(REPO, "specs", "todo.yaml")
        self.reset_account(["todo-create", "todo-list", "todo-get", "todo-update", "todo-delete"])
        for scenario in ("first", "noop"):
            proxy.reset()
            start = time.monotonic()
            out = subprocess.run([self.a.gwctl, "apply", spec, "--yes", "--output", "json"],
                                 env=dict(self.env, AWS_ENDPOINT_URL=proxy.url),
                                 capture_output=True, text=True, timeout=self.a.run_timeout)
            wall = time.monotonic() - start
            self.record("todo", "gwctl", mode, scenario, out.returncode, out.stderr, wall,
                        proxy.stats())

    def record(self, size, tool, mode, scenario, status, stderr, wall, st, launched=None):
        calls = st["calls"]
        ag = dict(calls.get("apigateway", {}))
        for op, n in calls.get("apigatewayv2", {}).items():
            ag[op] = ag.get(op, 0) + n
        lam = calls.get("lambda", {})
        bound = lower_bound(calls, self.table)
        r = {
            "size": size, "tool": tool, "mode": mode, "scenario": scenario,
            "ok": status == 0, "status": status,
            "wall": round(wall, 3), "bound": round(bound, 3),
            "ratio": round(wall / bound, 3) if bound > 0 else None,
            "apigateway": ag, "lambda": lam,
            "apigateway_calls": sum(ag.values()),
            "apigateway_writes": sum(n for op, n in ag.items() if is_write(op)),
            "lambda_calls": sum(lam.values()),
            "throttled": sum(sum(v.values()) for v in st["throttled"].values()),
            "error": None if status == 0 else stderr.strip().splitlines()[-3:],
        }
        # The process start (launch to the first AWS call the simulator saw) and the span of
        # the calls (first to last arrival): the wall time without the start, which is no
        # part of any quota.
        if launched is not None and st.get("first_call") and st.get("last_call"):
            r["start"] = round(st["first_call"] - launched, 3)
            r["calls_span"] = round(st["last_call"] - st["first_call"], 3)
            r["span_ratio"] = round(r["calls_span"] / bound, 3) if bound > 0 else None
        self.results.append(r)
        print(f"{size:>4} {tool:6} {mode:4} {scenario:5} {'ok' if r['ok'] else 'FAIL':4} "
              f"{wall:8.2f} s  apigw {r['apigateway_calls']:5} (w {r['apigateway_writes']:4}) "
              f"lambda {r['lambda_calls']:4}  429s {r['throttled']:4}  bound {bound:7.2f} s"
              + (f"  ratio {r['ratio']:.2f}" if r["ratio"] else "")
              + (f"  start {r['start']:.2f} s  calls {r['calls_span']:.2f} s" if "start" in r else "")
              + (f" ({r['span_ratio']:.2f})" if r.get("span_ratio") else ""), flush=True)
        if not r["ok"]:
            print("      " + " | ".join(r["error"] or []), flush=True)
        return r

    def run(self, size, tool, mode, d, scenarios=SCENARIOS):
        proxy = self.proxies[mode]
        with open(os.path.join(d["base"], "model.json")) as f:
            functions = json.load(f)["functions"]
        self.reset_account(functions)
        for scenario in scenarios:
            cmd, extra = self.command(tool, scenario, d, proxy.url, mode)
            env = dict(self.env, **extra)
            proxy.reset()
            launched = time.time()
            start = time.monotonic()
            try:
                out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                     timeout=self.a.run_timeout)
                status, stderr = out.returncode, out.stderr
            except subprocess.TimeoutExpired:
                status, stderr = "timeout", f"stopped after {self.a.run_timeout} s"
            wall = time.monotonic() - start
            r = self.record(size, tool, mode, scenario, status, stderr, wall, proxy.stats(),
                            launched)
            if not r["ok"]:
                break


    def multi(self, count, routes):
        """`count` REST APIs of `routes` routes with CORS in one account, under the quotas:
        one `gwctl apply` of every spec (one pacer for all), `count` gwctl processes started
        together (a pacer each), and the same processes one after another. The account is
        reset before each."""
        proxy = self.proxies["sim"]
        size = f"m{count}x{routes}"
        specs = []
        for i in range(count):
            d = os.path.join(self.a.work, size, f"a{i}")
            subprocess.run([self.a.python, os.path.join(HERE, "gen_spec.py"), "--routes",
                            str(routes), "--name", f"multi-{i}", "--out", d],
                           check=True, capture_output=True)
            specs.append(os.path.join(d, "spec.yaml"))
        with open(os.path.join(os.path.dirname(specs[0]), "model.json")) as f:
            functions = json.load(f)["functions"]
        env = dict(self.env, AWS_ENDPOINT_URL=proxy.url)
        one = lambda s: [self.a.gwctl, "apply", *s, "--yes", "--output", "json"]
        for scenario in ("one run", "together", "in turn"):
            self.reset_account(functions)
            proxy.reset()
            start = time.monotonic()

            def spawn(s):
                # stderr to a file: ten processes' progress must not fill a pipe
                err = tempfile.TemporaryFile(mode="w+")
                return subprocess.Popen(one(s), env=env, stdout=subprocess.DEVNULL,
                                        stderr=err, text=True), err

            def finish(run):
                r, err = run
                r.wait(timeout=self.a.run_timeout)
                err.seek(0)
                return r.returncode, err.read()

            if scenario == "one run":
                done = [finish(spawn(specs))]
            elif scenario == "together":
                done = [finish(r) for r in [spawn([s]) for s in specs]]
            else:
                done = [finish(spawn([s])) for s in specs]
            wall = time.monotonic() - start
            failed = [(c, e) for c, e in done if c != 0]
            status, stderr = failed[0] if failed else (0, "")
            self.record(size, "gwctl", "sim", scenario, status, stderr, wall, proxy.stats())


MODE_LABEL = {"sim": "quotas", "aws": "quotas + latency", "free": "none"}


def markdown(results, meta):
    out = []
    out.append(f"Measured {meta['date']} on {meta['machine']}; gwctl {meta['gwctl_build']} build; "
               f"moto {meta['moto']}; boto3 {meta['boto3']}; {meta['aws_cli']}.")
    out.append("")
    out.append(f"The emulator's own cost per call: {meta['moto_ms']:.1f} ms direct, "
               f"{meta['proxy_ms']:.1f} ms through the counting proxy. Simulator "
               f"`quotas + latency` holds every call {meta.get('latency_ms', 0):.0f} ms "
               f"before forwarding it, like the real service's response time.")
    out.append("")
    sizes = []
    for r in results:
        if r["size"] not in sizes:
            sizes.append(r["size"])
    for size in sizes:
        if size == "todo":
            out.append("#### specs/todo.yaml (gwctl defaults)")
        elif str(size).startswith("h"):
            out.append(f"#### HTTP API, {size[1:]} routes")
        elif str(size).startswith("w"):
            out.append(f"#### WebSocket API, {size[1:]} routes")
        elif str(size).startswith("m"):
            n, r = size[1:].split("x")
            out.append(f"#### {n} REST APIs of {r} routes in one account: one `gwctl apply` of "
                       f"all, {n} processes started together, {n} processes one after another")
        else:
            out.append(f"#### {size} routes")
        out.append("")
        # WebSocket APIs, whose bound is a few seconds, also show the process start and the
        # span of the calls (first to last) against the bound.
        spans = str(size).startswith("w")
        out.append("| tool | simulator | scenario | result | wall (s) | API Gateway calls (writes) "
                   "| Lambda calls | 429s | bound (s) | wall / bound |"
                   + (" start (s) | calls span (s) | span / bound |" if spans else ""))
        out.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" * 3 if spans else ""))
        for r in [r for r in results if r["size"] == size]:
            ratio = f"{r['ratio']:.2f}" if r["ratio"] else "–"
            res = "ok" if r["ok"] else ("timeout" if r["status"] == "timeout" else "failed")
            extra = ""
            if spans:
                span_ratio = f"{r['span_ratio']:.2f}" if r.get("span_ratio") else "–"
                extra = (f" {r.get('start', 0):.2f} | {r.get('calls_span', 0):.2f} | "
                         f"{span_ratio} |")
            out.append(
                f"| {r['tool']} | {MODE_LABEL[r['mode']]} | "
                f"{r['scenario']} | {res} | {r['wall']:.2f} | {r['apigateway_calls']} "
                f"({r['apigateway_writes']}) | {r['lambda_calls']} | {r['throttled']} | "
                f"{r['bound']:.1f} | {ratio} |" + extra)
        out.append("")
        firsts = [r for r in results if r["size"] == size and r["scenario"] == "first"
                  and r["mode"] == "sim"]
        if firsts:
            ops = sorted({op for r in firsts for op in r["apigateway"]}
                         | {f"lambda:{op}" for r in firsts for op in r["lambda"]})
            label = size
            if str(size).startswith("h"):
                label = f"HTTP API, {size[1:]}"
            elif str(size).startswith("w"):
                label = f"WebSocket API, {size[1:]}"
            out.append(f"Calls per operation, first apply under the simulator ({label} routes):")
            out.append("")
            out.append("| operation | " + " | ".join(r["tool"] for r in firsts) + " |")
            out.append("|---|" + "---:|" * len(firsts))
            for op in ops:
                vals = []
                for r in firsts:
                    if op.startswith("lambda:"):
                        vals.append(str(r["lambda"].get(op[7:], 0)))
                    else:
                        vals.append(str(r["apigateway"].get(op, 0)))
                out.append(f"| {op} | " + " | ".join(vals) + " |")
            out.append("")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gwctl", required=True)
    p.add_argument("--python", required=True, help="python with boto3 (the emulator's venv)")
    p.add_argument("--moto-server", required=True)
    p.add_argument("--aws-cli", default="aws")
    p.add_argument("--sizes", default="5,100,300")
    p.add_argument("--tools", default="gwctl,boto3,awscli")
    p.add_argument("--modes", default="sim,aws,free",
                   help="sim: the quotas; aws: the quotas and --latency-ms per call; "
                        "free: no quotas (gwctl with --max-rps off)")
    p.add_argument("--latency-ms", type=float, default=100.0,
                   help="per-call latency of the `aws` mode")
    p.add_argument("--aws-max-routes", type=int, default=100,
                   help="skip the `aws` mode above this many routes")
    p.add_argument("--cli-max-routes", type=int, default=100,
                   help="skip the aws CLI baseline above this many routes")
    p.add_argument("--run-timeout", type=int, default=1800, help="seconds per run")
    p.add_argument("--work", default=os.path.join(REPO, "target", "bench"))
    p.add_argument("--json", default=os.path.join(REPO, "target", "bench", "results.json"))
    p.add_argument("--markdown", default=os.path.join(REPO, "target", "bench", "results.md"))
    p.add_argument("--gwctl-build", default="debug")
    p.add_argument("--http-sizes", default="100",
                   help="HTTP APIs (kind: http) of these sizes, gwctl only (the baselines "
                        "build REST APIs); reported as h<size>")
    p.add_argument("--ws-sizes", default="50",
                   help="WebSocket APIs (kind: websocket) of these many route keys, gwctl only; "
                        "reported as w<size>")
    p.add_argument("--no-todo", dest="todo", action="store_false",
                   help="skip the specs/todo.yaml runs (first and second apply, gwctl defaults)")
    p.add_argument("--multi", default="",
                   help="COUNTxROUTES, e.g. 10x30: that many REST APIs in one account under "
                        "the quotas, applied by one `gwctl apply` of all the specs, by as "
                        "many processes started together, and one after another")
    a = p.parse_args()

    sizes = [int(s) for s in a.sizes.split(",") if s]
    tools = [t for t in a.tools.split(",") if t]
    modes = [m for m in a.modes.split(",") if m]
    b = Bench(a)
    try:
        meta = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "gwctl_build": a.gwctl_build,
            "moto": subprocess.run([a.python, "-c", "import moto;print(moto.__version__)"],
                                   capture_output=True, text=True).stdout.strip(),
            "boto3": subprocess.run([a.python, "-c", "import boto3;print(boto3.__version__)"],
                                    capture_output=True, text=True).stdout.strip(),
            "aws_cli": (subprocess.run([a.aws_cli, "--version"], capture_output=True, text=True)
                        .stdout.strip().split(" ")[0] if "awscli" in tools else "aws CLI not run"),
            "moto_ms": b.per_call_cost(b.moto_url) * 1000,
            "proxy_ms": b.per_call_cost(b.proxies["free"].url) * 1000,
            "command": " ".join(sys.argv),
        }
        print(f"emulator: {meta['moto_ms']:.1f} ms per call, through the proxy "
              f"{meta['proxy_ms']:.1f} ms", flush=True)
        if a.todo:
            for mode in modes:
                b.todo(mode)
        meta["latency_ms"] = a.latency_ms
        for size in sizes:
            d = {"base": os.path.join(a.work, f"r{size}"), "extra": os.path.join(a.work, f"r{size}x")}
            for key, extra in (("base", []), ("extra", ["--extra"])):
                subprocess.run([a.python, os.path.join(HERE, "gen_spec.py"), "--routes", str(size),
                                "--name", f"bench-{size}", "--out", d[key]] + extra,
                               check=True, capture_output=True)
            for mode in modes:
                for tool in tools:
                    if mode == "aws" and size > a.aws_max_routes:
                        continue
                    if tool == "awscli" and size > a.cli_max_routes:
                        print(f"{size:>4} awscli {mode:4} skipped (--cli-max-routes "
                              f"{a.cli_max_routes})", flush=True)
                        continue
                    b.run(size, tool, mode, d)
        # gwctl only: HTTP APIs (h<size>) and WebSocket APIs (w<size>, which also measure plan)
        v2 = [("h", "http", "bench-http-{}", sz, SCENARIOS)
              for sz in a.http_sizes.split(",") if sz]
        v2 += [("w", "websocket", "bench-ws-{}", sz, ("first", "noop", "plan", "add"))
               for sz in a.ws_sizes.split(",") if sz]
        for prefix, kind, name, size, scenarios in v2 if "gwctl" in tools else []:
            size = int(size)
            d = {"base": os.path.join(a.work, f"{prefix}{size}"),
                 "extra": os.path.join(a.work, f"{prefix}{size}x")}
            for key, extra in (("base", []), ("extra", ["--extra"])):
                subprocess.run([a.python, os.path.join(HERE, "gen_spec.py"), "--routes", str(size),
                                "--name", name.format(size), "--kind", kind,
                                "--out", d[key]] + extra,
                               check=True, capture_output=True)
            for mode in modes:
                if mode == "aws" and size > a.aws_max_routes:
                    continue
                b.run(f"{prefix}{size}", "gwctl", mode, d, scenarios)
        if a.multi:
            count, routes = (int(x) for x in a.multi.split("x"))
            b.multi(count, routes)
        os.makedirs(os.path.dirname(a.json), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": b.results}, f, indent=1, sort_keys=True)
        with open(a.markdown, "w") as f:
            f.write(markdown(b.results, meta) + "\n")
        print(f"results: {a.json}\nreport:  {a.markdown}")
    finally:
        b.stop()


if __name__ == "__main__":
    main()
