#!/usr/bin/env python3
"""Quota simulator: an HTTP proxy in front of the local emulator (moto) that enforces API
Gateway's published control-plane quotas the way AWS does, counts calls per operation, and
can inject faults. Test and benchmark tooling for gwctl; Python standard library only.

    quota_proxy.py --upstream http://127.0.0.1:5000 [--port 0] [options]

It prints `listening http://127.0.0.1:PORT` on stdout once it accepts connections. Point the
client at that URL (e.g. AWS_ENDPOINT_URL). It binds 127.0.0.1 only and exits after
--lifetime seconds, or when its stdin reaches end of file with --exit-on-stdin-eof (so a test
that dies takes it along).

Quotas (per account and region, shared by every caller; they cannot be raised on AWS):
token buckets per operation (CreateRestApi 1 per 3 s, CreateResource 5/s, GetResources 5 per
2 s, CreateDeployment 1 per 5 s, ...) plus the account total of 10 calls/s with a burst of 40,
reads included, REST and v2 alike. Lambda's published API quotas are enforced too, in their
own buckets (GetFunction 100/s, GetPolicy 15/s, the rest 15/s). A call over quota consumes
nothing and is answered like AWS does:

    HTTP 429, x-amzn-ErrorType: TooManyRequestsException, {"message":"Too Many Requests"}

The service of a request is read from its SigV4 credential scope (as moto does); the
operation from method and path. Requests to /moto-api/ and other services pass through
uncounted.

Control endpoints (never counted, never throttled):
    GET  /__quota/stats    calls per service and operation, throttled and injected answers
    POST /__quota/reset    zero the counters and refill every bucket
    GET  /__quota/table    the quota table in effect
    POST /__quota/faults   replace the fault settings (JSON with the same keys as the flags,
                           e.g. {"share_429": 0.1, "share_500": 0.1, "seed": 7})

--latency-ms N holds every AWS call N ms before forwarding it, a stand-in for the real
service's latency (moto answers in a few ms; API Gateway's control plane takes ~100 ms).

Faults (a share between 0 and 1 of the calls to --fault-services, drawn from a seeded PRNG):
    --fault-429 S         answer 429 TooManyRequestsException without forwarding
    --fault-500 S         answer 500 InternalFailure without forwarding
    --fault-503 S         answer 503 ServiceUnavailableException without forwarding
    --fault-drop-before S close the connection without forwarding or answering
    --fault-drop-after S  forward (the emulator applies the call), then close the connection
                          without answering: the client never hears that it happened

Fidelity: moto implements REST create-deployment with `stageName` of an existing stage by
replacing the stage (its description, variables, tracing, logging and method settings are
lost); AWS points the stage at the new deployment and keeps its settings. The proxy does
what AWS does (create-deployment without the stage, then the stage's deploymentId patched),
counted as the one CreateDeployment call the client made.

Strict mode (--strict): moto accepts some calls that AWS refuses. With --strict the proxy
answers those as AWS does, without forwarding them, so a client that would fail on AWS fails
here too (a code path must never rely on the emulator's leniency):

    CreateResource, a path part the parent already has   409 ConflictException (API Gateway)
    PutMethod on a method that exists                    409 ConflictException
    PutMethodResponse on a status code that exists       409 ConflictException
    PutIntegration on a method that does not exist       404 NotFoundException
    DeleteMethod of a method that does not exist         404 NotFoundException
    Get/DeleteIntegration where there is none            404 NotFoundException
    CreateStage (REST or HTTP API), a name that exists   409 ConflictException
    CreateRoute (HTTP API), a route key that exists      409 ConflictException
    CreateUsagePlanKey for a key already in the plan     409 ConflictException
    CreateApiKey with a value another key has            409 ConflictException
    CreateAuthorizer (REST API) with a name that exists  400 BadRequestException
    CreateModel with a name the API has                  409 ConflictException
    CreateRequestValidator with a name the API has       409 ConflictException
    AddPermission with a statement id the policy has     409 ResourceConflictException (Lambda)

API Gateway's errors are `x-amzn-ErrorType: TYPE` with {"message": "..."}; Lambda's add
{"Type": "User"}. What exists is asked of the emulator just before the call (a GET), never
remembered, so the answers stay right across emulator resets and several proxies; checked
calls of one proxy are serialised so two concurrent duplicates cannot both pass.
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --------------------------------------------------------------------------------------
# The published quotas (keep in sync with src/aws/pace.rs; tests/it/quota_sim.rs compares them)
# --------------------------------------------------------------------------------------

def per_second(n):
    return {"rate": float(n), "burst": float(n)}


def one_every(secs):
    return {"rate": 1.0 / secs, "burst": 1.0}


CREATE_EDGE_API = "CreateRestApi (EDGE)"

QUOTAS = {
    "apigateway": {
        "total": {"rate": 10.0, "burst": 40.0},
        "operations": {
            "CreateRestApi": one_every(3),
            CREATE_EDGE_API: one_every(30),
            "PutRestApi": per_second(1),
            "DeleteRestApi": one_every(30),
            "CreateResource": per_second(5),
            "DeleteResource": per_second(5),
            "GetResources": {"rate": 2.5, "burst": 5.0},
            "CreateDeployment": one_every(5),
            "CreateApiKey": per_second(5),
            "DeleteApiKey": per_second(5),
            "UpdateUsagePlan": one_every(20),
            "UpdateAccount": one_every(20),
            "CreateDomainName": one_every(30),
            "UpdateDomainName": one_every(30),
            "DeleteDomainName": one_every(30),
            "CreateDocumentationVersion": one_every(20),
            "CreateVpcLink": one_every(15),
            "DeleteVpcLink": one_every(30),
        },
        # operations with a bucket that do not draw from the total: none
        "apart": [],
    },
    "lambda": {
        "total": per_second(15),
        "operations": {
            "GetFunction": per_second(100),
            "GetPolicy": per_second(15),
        },
        # GetFunction and GetPolicy have their own quota instead of the total
        "apart": ["GetFunction", "GetPolicy"],
    },
}

# apigatewayv2 shares API Gateway's account total
SERVICE_TABLE = {"apigateway": "apigateway", "apigatewayv2": "apigateway", "lambda": "lambda"}


class Bucket:
    """A token bucket that starts full."""

    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def refill(self, now):
        if now > self.at:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now

    def has(self, now):
        self.refill(now)
        return self.tokens >= 1.0

    def take(self):
        self.tokens -= 1.0


# --------------------------------------------------------------------------------------
# Which operation a request is
# --------------------------------------------------------------------------------------

METHOD_VERB = {"GET": "Get", "DELETE": "Delete", "PATCH": "Update", "PUT": "Put", "POST": "Create"}

# (method, path regex, operation) for API Gateway REST (v1); first match wins.
SEG = r"[^/]+"
V1_ROUTES = [
    ("GET", r"/restapis", "GetRestApis"),
    ("POST", r"/restapis", "CreateRestApi"),
    ("GET", rf"/restapis/{SEG}", "GetRestApi"),
    ("DELETE", rf"/restapis/{SEG}", "DeleteRestApi"),
    ("PATCH", rf"/restapis/{SEG}", "UpdateRestApi"),
    ("PUT", rf"/restapis/{SEG}", "PutRestApi"),
    ("GET", rf"/restapis/{SEG}/resources", "GetResources"),
    ("POST", rf"/restapis/{SEG}/resources/{SEG}", "CreateResource"),
    ("GET", rf"/restapis/{SEG}/resources/{SEG}", "GetResource"),
    ("DELETE", rf"/restapis/{SEG}/resources/{SEG}", "DeleteResource"),
    ("PATCH", rf"/restapis/{SEG}/resources/{SEG}", "UpdateResource"),
    ("*", rf"/restapis/{SEG}/resources/{SEG}/methods/{SEG}", "{verb}Method"),
    ("*", rf"/restapis/{SEG}/resources/{SEG}/methods/{SEG}/responses/{SEG}", "{verb}MethodResponse"),
    ("*", rf"/restapis/{SEG}/resources/{SEG}/methods/{SEG}/integration", "{verb}Integration"),
    (
        "*",
        rf"/restapis/{SEG}/resources/{SEG}/methods/{SEG}/integration/responses/{SEG}",
        "{verb}IntegrationResponse",
    ),
    ("GET", rf"/restapis/{SEG}/gatewayresponses", "GetGatewayResponses"),
    ("*", rf"/restapis/{SEG}/gatewayresponses/{SEG}", "{verb}GatewayResponse"),
    ("GET", rf"/restapis/{SEG}/stages/{SEG}/exports/{SEG}", "GetExport"),
    ("GET", rf"/restapis/{SEG}/stages/{SEG}/sdks/{SEG}", "GetSdk"),
    ("GET", r"/account", "GetAccount"),
    ("PATCH", r"/account", "UpdateAccount"),
    ("GET", rf"/tags/{SEG}", "GetTags"),
    ("PUT", rf"/tags/{SEG}", "TagResource"),
    ("DELETE", rf"/tags/{SEG}", "UntagResource"),
    ("POST", rf"/usageplans/{SEG}/keys", "CreateUsagePlanKey"),
    ("GET", rf"/usageplans/{SEG}/keys", "GetUsagePlanKeys"),
    ("GET", rf"/usageplans/{SEG}/keys/{SEG}", "GetUsagePlanKey"),
    ("DELETE", rf"/usageplans/{SEG}/keys/{SEG}", "DeleteUsagePlanKey"),
]
V1_ROUTES = [(m, re.compile(p + "/?$"), op) for m, p, op in V1_ROUTES]

# Collections: path segment -> singular noun (Create{N}, Get{N}s, Get{N}, Update{N}, Delete{N}).
V1_COLLECTIONS = {
    "deployments": "Deployment",
    "stages": "Stage",
    "authorizers": "Authorizer",
    "models": "Model",
    "requestvalidators": "RequestValidator",
    "apikeys": "ApiKey",
    "usageplans": "UsagePlan",
    "domainnames": "DomainName",
    "basepathmappings": "BasePathMapping",
    "vpclinks": "VpcLink",
    "clientcertificates": "ClientCertificate",
    "parts": "DocumentationPart",
    "versions": "DocumentationVersion",
}
V2_COLLECTIONS = {
    "apis": "Api",
    "routes": "Route",
    "integrations": "Integration",
    "stages": "Stage",
    "authorizers": "Authorizer",
    "deployments": "Deployment",
    "models": "Model",
    "routeresponses": "RouteResponse",
    "integrationresponses": "IntegrationResponse",
    "domainnames": "DomainName",
    "apimappings": "ApiMapping",
    "vpclinks": "VpcLink",
}


def collection_op(method, segments, collections):
    """Name a call on a generic collection path (.../{collection}[/{id}])."""
    for i in range(len(segments) - 1, -1, -1):
        noun = collections.get(segments[i])
        if noun is None:
            continue
        item = i == len(segments) - 2
        if i == len(segments) - 1:
            return {"GET": f"Get{noun}s", "POST": f"Create{noun}"}.get(method)
        if item:
            verb = {"GET": "Get", "PATCH": "Update", "DELETE": "Delete", "PUT": "Reimport"}.get(method)
            return verb and f"{verb}{noun}"
        return None
    return None


def apigateway_operation(method, path, query):
    if path.startswith("/v2/"):
        segs = [s for s in path[len("/v2/"):].split("/") if s]
        if segs[:1] == ["tags"]:
            return {"GET": "GetTags", "POST": "TagResource", "DELETE": "UntagResource"}.get(method, "V2Unknown")
        if len(segs) >= 6 and segs[4] == "routesettings":
            return "DeleteRouteSettings"
        if len(segs) == 3 and segs[2] == "cors":
            return "DeleteCorsConfiguration"
        if segs == ["apis"] and method == "PUT":
            return "ImportApi"
        return collection_op(method, segs, V2_COLLECTIONS) or "V2Unknown"
    for m, rx, op in V1_ROUTES:
        if (m == "*" or m == method) and rx.match(path):
            if op == "CreateRestApi" and "mode" in query:
                return "ImportRestApi"
            return op.replace("{verb}", METHOD_VERB.get(method, method.title()))
    segs = [s for s in path.split("/") if s]
    if segs[:1] == ["restapis"]:
        segs = segs[2:]
        if segs[:1] == ["documentation"]:
            segs = segs[1:]
    return collection_op(method, segs, V1_COLLECTIONS) or "Unknown"


LAMBDA_ROUTES = [
    ("GET", r"/functions", "ListFunctions"),
    ("POST", r"/functions", "CreateFunction"),
    ("GET", rf"/functions/{SEG}", "GetFunction"),
    ("DELETE", rf"/functions/{SEG}", "DeleteFunction"),
    ("GET", rf"/functions/{SEG}/configuration", "GetFunctionConfiguration"),
    ("PUT", rf"/functions/{SEG}/configuration", "UpdateFunctionConfiguration"),
    ("PUT", rf"/functions/{SEG}/code", "UpdateFunctionCode"),
    ("GET", rf"/functions/{SEG}/policy", "GetPolicy"),
    ("POST", rf"/functions/{SEG}/policy", "AddPermission"),
    ("DELETE", rf"/functions/{SEG}/policy/{SEG}", "RemovePermission"),
    ("POST", rf"/functions/{SEG}/invocations", "Invoke"),
    ("GET", rf"/functions/{SEG}/aliases", "ListAliases"),
    ("POST", rf"/functions/{SEG}/aliases", "CreateAlias"),
    ("GET", rf"/functions/{SEG}/aliases/{SEG}", "GetAlias"),
    ("GET", rf"/functions/{SEG}/versions", "ListVersionsByFunction"),
    ("POST", rf"/functions/{SEG}/versions", "PublishVersion"),
]
LAMBDA_ROUTES = [(m, re.compile(p + "/?$"), op) for m, p, op in LAMBDA_ROUTES]


def lambda_operation(method, path):
    rest = re.sub(r"^/\d{4}-\d{2}-\d{2}", "", path)
    for m, rx, op in LAMBDA_ROUTES:
        if m == method and rx.match(rest):
            return op
    return "LambdaUnknown"


def service_of(headers):
    auth = headers.get("Authorization") or ""
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", auth)
    return m.group(1) if m else None


def operation_of(service, method, raw_path):
    parsed = urllib.parse.urlsplit(raw_path)
    path = urllib.parse.unquote(parsed.path)
    query = urllib.parse.parse_qs(parsed.query)
    if service in ("apigateway", "apigatewayv2"):
        return apigateway_operation(method, path, query)
    if service == "lambda":
        return lambda_operation(method, path)
    return None


def is_edge_create(op, body, raw_path):
    if op == "CreateRestApi":
        try:
            types = json.loads(body or b"{}").get("endpointConfiguration", {}).get("types", [])
        except (ValueError, AttributeError):
            return False
        return "EDGE" in types
    if op == "ImportRestApi":
        return "endpointConfigurationTypes=EDGE" in raw_path
    return False


# --------------------------------------------------------------------------------------
# Strict mode: what AWS refuses and moto accepts (see the module documentation)
# --------------------------------------------------------------------------------------

def json_doc(payload):
    try:
        doc = json.loads(payload or b"{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def strict_refusal(op, method, raw_path, body, ask):
    """The error AWS would answer instead of applying this call, as
    (status, error type, message, lambda format), or None when AWS would accept it.
    `ask(method, path)` sends a read to the emulator and returns (status, JSON document)."""
    path = urllib.parse.urlsplit(raw_path).path.rstrip("/")
    doc = json_doc(body)
    if path.startswith("/v2/") and op not in V2_STRICT_OPS:
        return None  # e.g. an HTTP API's GetIntegration: another call, same name
    if op == "CreateResource":
        part = doc.get("pathPart")
        api = path.split("/")[2]
        parent = path.split("/")[-1]
        for item in list_all(ask, f"/restapis/{api}/resources?limit=500", "item", "position"):
            if item.get("parentId") == parent and item.get("pathPart") == part:
                return 409, "ConflictException", (
                    f"Another resource with the same parent already has this name: {part}"), False
        return None
    if op == "PutMethod":
        if ask("GET", path)[0] == 200:
            return 409, "ConflictException", "Method already exists for this resource", False
        return None
    if op == "PutMethodResponse":
        if ask("GET", path)[0] == 200:
            return 409, "ConflictException", "Response already exists for this resource", False
        return None
    if op == "DeleteMethod":
        if ask("GET", path)[0] == 404:
            return 404, "NotFoundException", "Invalid Method identifier specified", False
        return None
    if op in ("GetIntegration", "DeleteIntegration"):
        # moto answers 200 `{}` for a method without an integration
        status, found = ask("GET", path)
        if status == 404 or (status == 200 and not found.get("type")):
            return 404, "NotFoundException", "Invalid Integration identifier specified", False
        return None
    if op == "PutIntegration":
        method_path = path[: -len("/integration")]
        resource_path = method_path.rsplit("/methods/", 1)[0]
        if ask("GET", resource_path)[0] == 200 and ask("GET", method_path)[0] == 404:
            return 404, "NotFoundException", "Invalid Method identifier specified", False
        return None
    if op == "CreateStage":
        name = doc.get("stageName")
        if name and ask("GET", path + "/" + urllib.parse.quote(name, safe=""))[0] == 200:
            return 409, "ConflictException", "Stage already exists", False
        return None
    if op == "CreateAuthorizer":
        name = doc.get("name")
        for item in list_all(ask, path + "?limit=500", "item", "position"):
            if item.get("name") == name:
                return 400, "BadRequestException", (
                    f"Authorizer name must be unique. Authorizer {name} already exists in "
                    "this RestApi."), False
        return None
    if op == "CreateModel":
        # moto replaces a model of the same name; AWS refuses the duplicate
        name = doc.get("name")
        if name and ask("GET", path + "/" + urllib.parse.quote(name, safe=""))[0] == 200:
            return 409, "ConflictException", "Model name already exists for this REST API", False
        return None
    if op == "CreateRequestValidator":
        name = doc.get("name")
        for item in list_all(ask, path + "?limit=500", "item", "position"):
            if item.get("name") == name:
                return 409, "ConflictException", (
                    f"Request validator with name {name} already exists"), False
        return None
    if op == "CreateRoute":
        key = doc.get("routeKey")
        for item in list_all(ask, path + "?maxResults=500", "items", "nextToken"):
            if item.get("routeKey") == key:
                return 409, "ConflictException", f"Route with key {key} already exists for this API", False
        return None
    if op == "CreateUsagePlanKey":
        key = doc.get("keyId")
        if key and ask("GET", path + "/" + urllib.parse.quote(key, safe=""))[0] == 200:
            return 409, "ConflictException", "Usage Plan Key already exists", False
        return None
    if op == "CreateApiKey":
        value = doc.get("value")
        if value:
            for item in list_all(ask, "/apikeys?includeValues=true&limit=500", "item", "position"):
                if item.get("value") == value:
                    return 409, "ConflictException", "API Key already exists", False
        return None
    if op == "AddPermission":
        sid = doc.get("StatementId")
        query = urllib.parse.urlsplit(raw_path).query
        status, policy = ask("GET", path + ("?" + query if query else ""))
        if status == 200:
            try:
                statements = json.loads(policy.get("Policy") or "{}").get("Statement", [])
            except (ValueError, AttributeError):
                statements = []
            if any(isinstance(st, dict) and st.get("Sid") == sid for st in statements):
                return 409, "ResourceConflictException", (
                    f"The statement id ({sid}) provided already exists. Please provide a new "
                    "statement id, or remove the existing statement."), True
        return None
    return None


def list_all(ask, first, items_key, token_key):
    """Every item of a paged list (API Gateway's `position`, v2's `nextToken`)."""
    out = []
    url = first
    for _ in range(1000):
        status, doc = ask("GET", url)
        if status != 200:
            return out
        out.extend(i for i in doc.get(items_key, []) if isinstance(i, dict))
        token = doc.get(token_key)
        if not token:
            return out
        url = first + f"&{token_key}=" + urllib.parse.quote(str(token), safe="")
    return out


# API Gateway's v2 calls are signed for `apigateway` too: the path tells them apart
V2_STRICT_OPS = {"CreateStage", "CreateRoute"}
STRICT_OPS = {
    "apigateway": {"CreateResource", "PutMethod", "PutMethodResponse", "PutIntegration",
                   "CreateStage", "CreateUsagePlanKey", "CreateApiKey", "CreateRoute",
                   "DeleteMethod", "GetIntegration", "DeleteIntegration", "CreateAuthorizer",
                   "CreateModel", "CreateRequestValidator"},
    "lambda": {"AddPermission"},
}


# --------------------------------------------------------------------------------------
# The proxy
# --------------------------------------------------------------------------------------

FAULT_KEYS = ("share_429", "share_500", "share_503", "share_drop_before", "share_drop_after")


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.quotas = not args.no_quotas
        self.strict = args.strict
        # checked calls are serialised: the check and the call are one step, as on AWS
        self.strict_lock = threading.Lock()
        self.latency = args.latency_ms / 1000.0
        self.retry_after = args.retry_after
        self.faults = {
            "share_429": args.fault_429,
            "share_500": args.fault_500,
            "share_503": args.fault_503,
            "share_drop_before": args.fault_drop_before,
            "share_drop_after": args.fault_drop_after,
            "services": [s for s in args.fault_services.split(",") if s],
            "operations": [o for o in args.fault_ops.split(",") if o],
            "seed": args.fault_seed,
        }
        self.rng = random.Random(args.fault_seed)
        self.reset()

    def reset(self):
        self.buckets = {}
        self.totals = {name: Bucket(**t["total"]) for name, t in QUOTAS.items()}
        self.calls = {}
        self.throttled = {}
        self.injected = {}
        self.refused = {}
        self.first = None
        self.last = None

    def set_faults(self, new):
        for k in FAULT_KEYS:
            if k in new:
                self.faults[k] = float(new[k])
        for k in ("services", "operations"):
            if k in new:
                self.faults[k] = list(new[k])
        if "seed" in new:
            self.faults["seed"] = int(new["seed"])
            self.rng = random.Random(self.faults["seed"])

    def admit(self, table, op, edge):
        """True when the quotas allow the call now (and consume its tokens)."""
        if not self.quotas:
            return True
        quota = QUOTAS[table]
        key = CREATE_EDGE_API if edge else ("CreateRestApi" if op == "ImportRestApi" else op)
        own = quota["operations"].get(key)
        now = time.monotonic()
        buckets = []
        if key not in quota["apart"]:
            buckets.append(self.totals[table])
        if own is not None:
            b = self.buckets.get((table, key))
            if b is None:
                b = self.buckets[(table, key)] = Bucket(own["rate"], own["burst"])
            buckets.append(b)
        if all(b.has(now) for b in buckets):
            for b in buckets:
                b.take()
            return True
        return False

    def fault(self, service, op):
        f = self.faults
        if service not in f["services"] or (f["operations"] and op not in f["operations"]):
            return None
        r = self.rng.random()
        for k in FAULT_KEYS:
            if r < f[k]:
                return k[len("share_"):]
            r -= f[k]
        return None

    def count(self, bag, service, op):
        bag.setdefault(service, {})
        bag[service][op] = bag[service].get(op, 0) + 1

    def uncount(self, bag, service, op):
        n = bag.get(service, {}).get(op, 0)
        if n > 1:
            bag[service][op] = n - 1
        elif n == 1:
            del bag[service][op]

    def stats(self):
        return {
            "calls": self.calls,
            "throttled": self.throttled,
            "injected": self.injected,
            "refused": self.refused,
            "strict": self.strict,
            "first_call": self.first,
            "last_call": self.last,
            "quotas": self.quotas,
            "latency_ms": self.latency * 1000.0,
            "faults": self.faults,
        }


HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gwctl-quota-proxy"

    def log_message(self, fmt, *args):
        pass  # one line per AWS call is written by handle_any (--log)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, doc):
        self.reply(status, json.dumps(doc, sort_keys=True).encode(), [("Content-Type", "application/json")])

    def aws_error(self, status, code, message, extra=(), lambda_format=False):
        headers = [("x-amzn-ErrorType", code), ("Content-Type", "application/json")] + list(extra)
        doc = {"Type": "User", "message": message} if lambda_format else {"message": message}
        self.reply(status, json.dumps(doc, separators=(",", ":")).encode(), headers)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def control(self, body):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        with st.lock:
            if path == "/__quota/stats" and self.command == "GET":
                return self.reply_json(200, st.stats())
            if path == "/__quota/reset" and self.command == "POST":
                st.reset()
                return self.reply_json(200, {"status": "ok"})
            if path == "/__quota/table" and self.command == "GET":
                return self.reply_json(200, QUOTAS)
            if path == "/__quota/faults" and self.command == "POST":
                try:
                    st.set_faults(json.loads(body or b"{}"))
                except (ValueError, TypeError) as e:
                    return self.reply_json(400, {"message": f"bad fault settings: {e}"})
                return self.reply_json(200, st.faults)
        return self.reply_json(404, {"message": f"no control endpoint {self.command} {path}"})

    def handle_any(self):
        body = self.read_body()
        if self.path.startswith("/__quota/"):
            return self.control(body)
        service = service_of(self.headers)
        op = operation_of(service, self.command, self.path)
        st = self.server.state
        table = SERVICE_TABLE.get(service) if op else None
        fault = None
        if table:
            edge = is_edge_create(op, body, self.path)
            with st.lock:
                now = time.time()
                st.first = st.first or now
                st.last = now
                fault = st.fault(service, op)
                if fault is not None:
                    st.count(st.injected, service, f"{op} {fault}")
                elif not st.admit(table, op, edge):
                    st.count(st.throttled, service, op)
                    fault = "quota"
                else:
                    st.count(st.calls, service, op)
            if self.server.log:
                line = "%.4f %s %s %s %s\n" % (time.monotonic(), service, op, fault or "ok", self.path)
                with st.lock:
                    self.server.log.write(line)
                    self.server.log.flush()
            if fault in ("quota", "429"):
                extra = [("Retry-After", str(st.retry_after))] if st.retry_after else []
                return self.aws_error(429, "TooManyRequestsException", "Too Many Requests", extra)
            if fault == "500":
                return self.aws_error(500, "InternalFailure", "Internal server error")
            if fault == "503":
                return self.aws_error(503, "ServiceUnavailableException", "Service Unavailable")
            if fault == "drop_before":
                return self.drop()
        if table and st.latency:
            time.sleep(st.latency)
        if table and st.strict and op in STRICT_OPS.get(service, ()):
            with st.strict_lock:
                refusal = strict_refusal(op, self.command, self.path, body, self.ask)
                if refusal is None:
                    status, headers, payload = self.forward(body)
            if refusal is not None:
                code, kind, message, lambda_format = refusal
                with st.lock:
                    st.count(st.refused, service, f"{op} {kind}")
                    if fault == "drop_after":
                        # a refusal always reaches the client: --fault-drop-after loses the
                        # answers of calls the emulator applied, and this one was not
                        st.uncount(st.injected, service, f"{op} {fault}")
                        st.count(st.calls, service, op)
                return self.aws_error(code, kind, message, lambda_format=lambda_format)
        elif service == "apigateway" and op == "CreateDeployment":
            status, headers, payload = self.forward_deployment(body)
        else:
            status, headers, payload = self.forward(body)
        if fault == "drop_after":
            return self.drop()
        self.reply(status, payload, headers)

    def forward_deployment(self, body):
        """create-deployment as AWS does it: an existing `stageName` is moved, not replaced."""
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        stage = doc.get("stageName") if isinstance(doc, dict) else None
        if not stage:
            return self.forward(body)
        base = urllib.parse.urlsplit(self.path).path.rstrip("/")
        stage_path = base[: -len("/deployments")] + "/stages/" + urllib.parse.quote(stage, safe="")
        status, _, _ = self.forward(b"", method="GET", path=stage_path)
        if status != 200:
            return self.forward(body)  # a new stage: moto creates it, as AWS does
        for k in ("stageName", "stageDescription", "variables"):
            doc.pop(k, None)
        status, headers, payload = self.forward(json.dumps(doc).encode())
        if status >= 300:
            return status, headers, payload
        deployment = json.loads(payload)["id"]
        patch = {"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": deployment}]}
        up_status, up_headers, up_payload = self.forward(
            json.dumps(patch).encode(), method="PATCH", path=stage_path
        )
        if up_status >= 300:
            return up_status, up_headers, up_payload
        return status, headers, payload

    def ask(self, method, path):
        """A read sent to the emulator with the client's credentials: (status, JSON object)."""
        status, _, payload = self.forward(b"", method=method, path=path)
        return status, json_doc(payload)

    def forward(self, body, method=None, path=None):
        up = self.server.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(method or self.command, path or self.path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            return resp.status, out, payload
        except OSError as e:
            msg = json.dumps({"message": f"quota proxy: upstream unreachable: {e}"}).encode()
            return 502, [("Content-Type", "application/json")], msg
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a client opening more connections at once
    # (gwctl reads ten functions concurrently) had the others wait for a retransmitted SYN
    # or an idle connection, which AWS never makes it do
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that went away (e.g. a gwctl killed by a test): nothing to report
        super().handle_error(request, client_address)


def share(s):
    v = float(s)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"`{s}` is not a share between 0 and 1")
    return v


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="the emulator, e.g. http://127.0.0.1:5000")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    p.add_argument("--lifetime", type=float, default=3600.0, help="exit after this many seconds")
    p.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin closes")
    p.add_argument("--no-quotas", action="store_true", help="count only, never throttle")
    p.add_argument("--strict", action="store_true",
                   help="refuse, as AWS does, the duplicates and dangling calls moto accepts")
    p.add_argument("--retry-after", type=int, default=0, help="send Retry-After: N on 429s")
    p.add_argument("--latency-ms", type=float, default=0.0,
                   help="hold every AWS call this long before forwarding it (a stand-in for "
                        "the real service's latency; concurrent calls wait concurrently)")
    p.add_argument("--log", help="append one line per AWS call to this file: monotonic time, "
                   "service, operation, outcome (ok, quota, 429, 500, ...), path")
    p.add_argument("--fault-429", type=share, default=0.0)
    p.add_argument("--fault-500", type=share, default=0.0)
    p.add_argument("--fault-503", type=share, default=0.0)
    p.add_argument("--fault-drop-before", type=share, default=0.0)
    p.add_argument("--fault-drop-after", type=share, default=0.0)
    p.add_argument("--fault-seed", type=int, default=1)
    p.add_argument("--fault-services", default="apigateway,apigatewayv2",
                   help="services faults apply to (comma-separated; lambda too if listed)")
    p.add_argument("--fault-ops", default="", help="only these operations (comma-separated)")
    args = p.parse_args(argv)
    shares = sum([args.fault_429, args.fault_500, args.fault_503,
                  args.fault_drop_before, args.fault_drop_after])
    if shares > 1.0:
        p.error("the fault shares add up to more than 1")
    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.hostname:
        p.error(f"--upstream must be an http:// URL, not `{args.upstream}`")

    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream = upstream
    server.state = State(args)
    server.log = open(args.log, "a") if args.log else None

    def stop_after(seconds):
        time.sleep(seconds)
        os._exit(0)

    threading.Thread(target=stop_after, args=(args.lifetime,), daemon=True).start()
    if args.exit_on_stdin_eof:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)
        threading.Thread(target=watch, daemon=True).start()

    print(f"listening http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
