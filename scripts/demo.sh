#!/usr/bin/env bash
# Try gwctl for real with no AWS account: start a local AWS emulator (moto), create the five
# Lambda functions specs/todo.yaml uses, run `gwctl apply specs/todo.yaml`, run it again to
# show that nothing changes the second time, and stop the emulator this script started.
#
# Usage: scripts/demo.sh [SPEC]        (default: specs/todo.yaml)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${1:-specs/todo.yaml}

scripts/emulator.sh install >&2
venv=${GWCTL_EMULATOR_VENV:-$root/.emulator/venv}
py="$venv/bin/python"

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
log=$(mktemp -t gwctl-demo-moto.XXXXXX)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  if "$py" -c "import urllib.request,sys; urllib.request.urlopen('$endpoint/moto-api/data.json', timeout=0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "emulator: moto on $endpoint (stopped when this script ends)" >&2

export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="$endpoint"
unset AWS_PROFILE AWS_SESSION_TOKEN

# The functions the spec references must exist before apply: create them in the emulator.
"$py" - "$spec" <<'PY'
import io, sys, zipfile, boto3, yaml
doc = yaml.safe_load(open(sys.argv[1])) or {}
names = set()
for ref in (doc.get("functions") or {}).values():
    if isinstance(ref, dict):
        ref = ref.get("name") or ref.get("arn") or ""
    ref = str(ref)
    if ref.startswith("arn:"):
        ref = ref.split(":")[6]          # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    else:
        ref = ref.split(":")[0]
    names.add(ref)
names = sorted(n for n in names if n)
iam = boto3.client("iam")
role = iam.create_role(RoleName="gwctl-demo", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n")
lam = boto3.client("lambda")
for n in names:
    lam.create_function(FunctionName=n, Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": buf.getvalue()})
print("emulator: created functions " + ", ".join(names), file=sys.stderr)
PY

cargo build --quiet --bin gwctl
gwctl="$root/target/debug/gwctl"

echo >&2
echo "\$ gwctl apply $spec --yes" >&2
"$gwctl" apply "$spec" --yes
echo >&2
echo "\$ gwctl apply $spec --yes     # again: nothing to do" >&2
"$gwctl" apply "$spec" --yes
