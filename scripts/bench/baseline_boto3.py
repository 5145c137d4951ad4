#!/usr/bin/env python3
"""Benchmark baseline: the job gwctl does, done the way seed 004 does it — a sequential boto3
script, one call after the other, with botocore's default retries.

    baseline_boto3.py --model DIR/model.json --mode create|update [--endpoint URL]

--mode create   a first apply as seed 004 writes it: create the API, look up the root
                resource, create every resource, put every method and integration, the CORS
                preflight of every resource (method, method response, MOCK integration,
                integration response), the CORS gateway responses, one Lambda permission per
                function, then create-deployment to the stage and update-stage for its logging.
--mode update   the same script made re-runnable the usual way: find the API by name, list
                its resources, look every method up with get-method (and every preflight's
                Allow-Methods), create what is missing, check the gateway responses and
                the functions' policies, and redeploy.

Prints one JSON line: {"ok": true|false, "calls": N, "error": "..."}; the quota simulator in
front of the emulator counts the calls per operation.
"""

import argparse
import json
import sys

import boto3
import botocore.exceptions


def cors_params(m, path):
    methods = ",".join(sorted(set(m["methods"][path]) | {"OPTIONS"}))
    c = m["cors"]
    return {
        "method.response.header.Access-Control-Allow-Headers": f"'{','.join(c['headers'])}'",
        "method.response.header.Access-Control-Allow-Methods": f"'{methods}'",
        "method.response.header.Access-Control-Max-Age": f"'{c['max_age']}'",
        "method.response.header.Access-Control-Allow-Origin": f"'{c['origin']}'",
    }


class Job:
    def __init__(self, model, endpoint):
        kw = {"region_name": model["region"]}
        if endpoint:
            kw["endpoint_url"] = endpoint
        self.m = model
        self.gw = boto3.client("apigateway", **kw)
        self.lam = boto3.client("lambda", **kw)
        self.calls = 0
        for client in (self.gw, self.lam):
            client.meta.events.register("before-send", self._count)

    def _count(self, **_):
        self.calls += 1

    def fn_arn(self, f):
        return f"arn:aws:lambda:{self.m['region']}:{self.account}:function:{f}"

    def uri(self, f):
        return (f"arn:aws:apigateway:{self.m['region']}:lambda:path/2015-03-31/functions/"
                f"{self.fn_arn(f)}/invocations")

    # -- the pieces ---------------------------------------------------------------------

    def create_resource(self, api, ids, path):
        parent, part = path.rsplit("/", 1)
        ids[path] = self.gw.create_resource(restApiId=api, parentId=ids[parent or "/"],
                                            pathPart=part)["id"]

    def put_route(self, api, rid, r):
        self.gw.put_method(restApiId=api, resourceId=rid, httpMethod=r["method"],
                           authorizationType="NONE")
        self.gw.put_integration(restApiId=api, resourceId=rid, httpMethod=r["method"],
                                type="AWS_PROXY", integrationHttpMethod="POST",
                                uri=self.uri(r["function"]))

    def put_options(self, api, rid, path):
        params = cors_params(self.m, path)
        self.gw.put_method(restApiId=api, resourceId=rid, httpMethod="OPTIONS",
                           authorizationType="NONE")
        self.gw.put_method_response(restApiId=api, resourceId=rid, httpMethod="OPTIONS",
                                    statusCode="200",
                                    responseModels={"application/json": "Empty"},
                                    responseParameters={k: False for k in params})
        self.gw.put_integration(restApiId=api, resourceId=rid, httpMethod="OPTIONS",
                                type="MOCK",
                                requestTemplates={"application/json": '{"statusCode": 200}'})
        self.gw.put_integration_response(restApiId=api, resourceId=rid, httpMethod="OPTIONS",
                                         statusCode="200", responseParameters=params)

    def gateway_params(self):
        c = self.m["cors"]
        return {
            "gatewayresponse.header.Access-Control-Allow-Headers": f"'{','.join(c['headers'])}'",
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{c['origin']}'",
        }

    def put_gateway_response(self, api, t):
        self.gw.put_gateway_response(restApiId=api, responseType=t,
                                     responseParameters=self.gateway_params())

    def add_permission(self, api, f):
        self.lam.add_permission(
            FunctionName=f, StatementId=f"bench-{api}-{f}", Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{self.m['region']}:{self.account}:{api}/*")

    def deploy(self, api):
        st = self.m["stage"]["name"]
        self.gw.create_deployment(restApiId=api, stageName=st)
        self.gw.update_stage(restApiId=api, stageName=st, patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        ])

    # -- the two scripts ----------------------------------------------------------------

    def create(self):
        m = self.m
        api = self.gw.create_rest_api(name=m["name"],
                                      endpointConfiguration={"types": ["REGIONAL"]})["id"]
        ids = {}
        for item in self.gw.get_resources(restApiId=api)["items"]:
            if item["path"] == "/":
                ids["/"] = item["id"]
        for path in m["resources"]:
            self.create_resource(api, ids, path)
        for r in m["routes"]:
            self.put_route(api, ids[r["path"]], r)
        for path in m["resources"]:
            self.put_options(api, ids[path], path)
        for t in ("DEFAULT_4XX", "DEFAULT_5XX"):
            self.put_gateway_response(api, t)
        for f in m["functions"]:
            self.add_permission(api, f)
        self.deploy(api)
        return api

    def update(self):
        m = self.m
        api = None
        for page in self.gw.get_paginator("get_rest_apis").paginate():
            for item in page["items"]:
                if item["name"] == m["name"]:
                    api = item["id"]
        if api is None:
            raise SystemExit(f"no API named {m['name']}")
        ids = {}
        for page in self.gw.get_paginator("get_resources").paginate(restApiId=api):
            for item in page["items"]:
                ids[item["path"]] = item["id"]
        new = set()
        for path in m["resources"]:
            if path not in ids:
                self.create_resource(api, ids, path)
                new.add(path)
        nf = botocore.exceptions.ClientError
        for r in m["routes"]:
            try:
                self.gw.get_method(restApiId=api, resourceId=ids[r["path"]],
                                   httpMethod=r["method"])
            except nf as e:
                if e.response["Error"]["Code"] != "NotFoundException":
                    raise
                self.put_route(api, ids[r["path"]], r)
        for path in m["resources"]:
            try:
                got = self.gw.get_method(restApiId=api, resourceId=ids[path], httpMethod="OPTIONS")
            except nf as e:
                if e.response["Error"]["Code"] != "NotFoundException":
                    raise
                self.put_options(api, ids[path], path)
                continue
            want = cors_params(m, path)
            have = (got.get("methodIntegration", {}).get("integrationResponses", {})
                    .get("200", {}).get("responseParameters", {}))
            if have != want:
                self.gw.put_integration_response(restApiId=api, resourceId=ids[path],
                                                 httpMethod="OPTIONS", statusCode="200",
                                                 responseParameters=want)
        for t in ("DEFAULT_4XX", "DEFAULT_5XX"):
            got = self.gw.get_gateway_response(restApiId=api, responseType=t)
            if got.get("defaultResponse", True) or got.get("responseParameters") != self.gateway_params():
                self.put_gateway_response(api, t)
        for f in m["functions"]:
            try:
                policy = self.lam.get_policy(FunctionName=f)["Policy"]
            except nf as e:
                if e.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                policy = ""
            if f"bench-{api}-{f}" not in policy:
                self.add_permission(api, f)
        self.deploy(api)
        return api


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--mode", choices=["create", "update"], required=True)
    p.add_argument("--endpoint", default=None)
    p.add_argument("--account", default="123456789012")
    a = p.parse_args()
    with open(a.model) as f:
        model = json.load(f)
    job = Job(model, a.endpoint)
    job.account = a.account
    try:
        api = job.create() if a.mode == "create" else job.update()
        print(json.dumps({"ok": True, "calls": job.calls, "api": api}))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        print(json.dumps({"ok": False, "calls": job.calls, "error": str(e)}))
        sys.exit(1)


if __name__ == "__main__":
    main()
