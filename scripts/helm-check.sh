#!/usr/bin/env bash
# Static checks of the Helm chart, docker-compose.yml and the Dockerfile. No cluster and
# no Docker engine are needed: what can be proven here is proven statically.
#   - helm lint (one run per ci/*-values.yaml scenario)
#   - helm template | kubeconform -strict, against the Kubernetes JSON schemas of the
#     oldest and newest supported versions (offline: the schemas come from the PyPI
#     package kubernetes-validate; kubeconform's default GitHub download is not used)
#     and, for ServiceMonitor and PrometheusRule, schemas made from the Prometheus
#     Operator's own CRDs (its Go module, from the Go module proxy)
#   - helm-unittest suites (helm/waiting-room/unittests/*_test.yaml)
#   - the PrometheusRule and the Grafana dashboard: every query parsed by Prometheus'
#     PromQL parser and checked against the metrics the apps define (tools/chart-check,
#     a Go module whose go vet and go test run here too), `promtool check rules`, and
#     `promtool test rules` (helm/waiting-room/unittests/alerts/) on the rendered alerts
#   - rendering without secrets fails with the clear validateValues message
#   - every values.yaml key is documented with `## @param`
#   - docker-compose.yml loaded by compose-go (the library `docker compose` uses:
#     compose-spec schema, interpolation, references) plus key checks; the Dockerfile
#     parsed and linted by buildkit's parser and linter (the `docker build --check` rules
#     that need no build context); the checker is tools/static-check, a Go module whose
#     own go vet and go test run here first
# Tools are built once from the Go module proxy into .local/bin (pinned; the go build
# cache makes reruns fast). Idempotent. Ends with an "N passed, N failed" line.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HELM_VERSION=v3.21.3
KUBECONFORM_VERSION=v0.7.0
HELM_UNITTEST_VERSION=v1.1.2
KUBERNETES_VALIDATE_VERSION=1.37.0
# promtool (check rules, test rules): Prometheus v3.x is the Go module v0.3xx.
PROMETHEUS_VERSION=v0.316.0
# The CRDs of ServiceMonitor and PrometheusRule (example/prometheus-operator-crd-full/).
PROMETHEUS_OPERATOR_VERSION=v0.85.0
# Oldest (Chart.yaml kubeVersion) and newest Kubernetes the manifests are validated against.
KUBE_VERSIONS=(1.25.0 1.37.0)
# Kubernetes version helm and helm-unittest assume when not told (what `make` in helm sets).
K8S_DEFAULT_MINOR=36

CHART=helm/waiting-room
LOCAL="$ROOT/.local"
BIN="$LOCAL/bin"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BIN" "$LOCAL/cache"
export PATH="$BIN:$PATH"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/      /'; return 0; }
# run NAME CMD...: one check, its output shown only when it fails.
run() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
die() { echo "helm-check: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
# checks NAME CMD...: a checker printing "PASS name" / "FAIL name: why" lines (the Go
# tools under tools/); each line counts as one check, and a checker that fails without
# saying which check did counts as one failure.
checks() {
  local name=$1 out rc n_pass n_fail
  shift
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  n_pass=$(grep -c '^PASS ' <<<"$out" || true)
  n_fail=$(grep -c '^FAIL ' <<<"$out" || true)
  grep -E '^(PASS|FAIL) ' <<<"$out" | sed 's/^PASS /ok    /; s/^FAIL /FAIL  /'
  passed=$((passed + n_pass))
  failed=$((failed + n_fail))
  if [ "$rc" != 0 ] && [ "$n_fail" = 0 ]; then fail "$name ran" "$out"; fi
  return 0
}

# ---------------------------------------------------------------- tools
command -v go >/dev/null || die "go is required (tools are built from the Go module proxy)"
command -v python3 >/dev/null || die "python3 is required"

# build_once NAME STAMP CMD...: rebuild only when the pinned version/flags changed.
build_once() {
  local name=$1 stamp=$2
  shift 2
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/.$name.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  echo "helm-check: building $name ($stamp)..."
  "$@" >"$WORK/build-$name.log" 2>&1 || { cat "$WORK/build-$name.log" >&2; die "could not build $name"; }
  echo "$stamp" >"$BIN/.$name.stamp"
}

K8S_LDFLAGS="-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_DEFAULT_MINOR"
HELM_LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION $K8S_LDFLAGS \
 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_DEFAULT_MINOR"

build_once helm "$HELM_VERSION minor=$K8S_DEFAULT_MINOR" \
  env GOBIN="$BIN" go install -trimpath -ldflags "$HELM_LDFLAGS" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
build_once kubeconform "$KUBECONFORM_VERSION" \
  env GOBIN="$BIN" go install -trimpath "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

# helm-unittest's go.mod has a replace directive, which `go install mod@version` refuses:
# build it inside its own (downloaded, checksum-verified) module instead.
build_helm_unittest() {
  local dir
  dir=$(go mod download -json "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || return 1
  (cd "$dir" && go build -trimpath -ldflags "-s -w $K8S_LDFLAGS" -o "$BIN/helm-unittest" ./cmd/helm-unittest)
}
build_once helm-unittest "$HELM_UNITTEST_VERSION minor=$K8S_DEFAULT_MINOR" build_helm_unittest

# The compose/Dockerfile checker: a Go module of its own over compose-go and buildkit
# (tools/static-check: pinned in its go.mod and go.sum, tested by its go test below).
STATIC_SRC="$ROOT/tools/static-check"
STATIC_STAMP="$(cat "$STATIC_SRC/go.mod" "$STATIC_SRC/go.sum" "$STATIC_SRC"/*.go | sha256sum | cut -c1-16)"
build_once static-check "$STATIC_STAMP" \
  sh -c "cd '$STATIC_SRC' && go build -trimpath -o '$BIN/static-check' ."

# The monitoring checker (PromQL over the apps' metrics, the dashboard, CRD schemas):
# tools/chart-check, pinned in its go.mod and go.sum, tested by its go test below.
CHART_SRC="$ROOT/tools/chart-check"
CHART_STAMP="$(cat "$CHART_SRC/go.mod" "$CHART_SRC/go.sum" "$CHART_SRC"/*.go | sha256sum | cut -c1-16)"
build_once chart-check "$CHART_STAMP" \
  sh -c "cd '$CHART_SRC' && go build -trimpath -o '$BIN/chart-check' ."
# promtool: the first build takes minutes (it links every service discovery), then never again.
build_once promtool "$PROMETHEUS_VERSION" \
  env GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"

# ---------------------------------------------------------------- schemas
# kubernetes-validate ships the Kubernetes JSON schemas of every recent version. Its
# "local" schemas point at one shared _definitions.json through "$id"-relative refs;
# kubeconform loads schemas as files, so make the refs file-relative.
SCHEMAS="$LOCAL/k8s-schemas"
SCHEMA_STAMP="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION ${KUBE_VERSIONS[*]}"
if [ "$(cat "$SCHEMAS/.stamp" 2>/dev/null)" != "$SCHEMA_STAMP" ]; then
  echo "helm-check: fetching Kubernetes schemas ($SCHEMA_STAMP)..."
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" -d "$LOCAL/cache/pip" ||
    die "could not download kubernetes-validate from PyPI"
  rm -rf "$SCHEMAS"
  python3 - "$LOCAL/cache/pip/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl" "$SCHEMAS" "${KUBE_VERSIONS[@]}" <<'PY' ||
import json, os, sys, zipfile
wheel, out, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(wheel)
for v in versions:
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{v}-local-strict/"
    target = os.path.join(out, f"v{v}-local-strict")
    os.makedirs(target)
    names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
    if not names:
        sys.exit(f"no schemas for Kubernetes {v} in {wheel}")
    for name in names:
        base = name[len(prefix):]
        doc = json.loads(z.read(name))
        if base != "_definitions.json":
            doc.pop("$id", None)
        text = json.dumps(doc).replace('"/api/_definitions.json#', '"_definitions.json#')
        with open(os.path.join(target, base), "w") as f:
            f.write(text)
PY
    die "could not unpack the Kubernetes schemas"
  echo "$SCHEMA_STAMP" >"$SCHEMAS/.stamp"
fi

# ServiceMonitor and PrometheusRule: JSON schemas made from the Prometheus Operator's CRDs
# (its module zip from the Go module proxy, checksum-verified by go), strict as the
# Kubernetes ones are, laid out as kubeconform's {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.
CRD_SCHEMAS="$LOCAL/crd-schemas"
CRD_STAMP="prometheus-operator@$PROMETHEUS_OPERATOR_VERSION $CHART_STAMP"
if [ "$(cat "$CRD_SCHEMAS/.stamp" 2>/dev/null)" != "$CRD_STAMP" ]; then
  echo "helm-check: making the ServiceMonitor and PrometheusRule schemas ($CRD_STAMP)..."
  crd_dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') ||
    die "could not download the Prometheus Operator module"
  rm -rf "$CRD_SCHEMAS"
  chart-check crd-schemas "$CRD_SCHEMAS" \
    "$crd_dir/example/prometheus-operator-crd-full/monitoring.coreos.com_servicemonitors.yaml" \
    "$crd_dir/example/prometheus-operator-crd-full/monitoring.coreos.com_prometheusrules.yaml" >/dev/null ||
    die "could not make the CRD schemas"
  echo "$CRD_STAMP" >"$CRD_SCHEMAS/.stamp"
fi

# ---------------------------------------------------------------- chart
echo "helm-check: $(helm version --short), kubeconform $KUBECONFORM_VERSION, helm-unittest $HELM_UNITTEST_VERSION, promtool $PROMETHEUS_VERSION"
shopt -s nullglob
CI_FILES=("$CHART"/ci/*-values.yaml)
[ ${#CI_FILES[@]} -gt 0 ] || fail "ci scenarios exist under $CHART/ci"

for values in "${CI_FILES[@]}"; do
  run "helm lint --strict ($(basename "$values"))" \
    helm lint --strict "$CHART" -f "$values" --kube-version "${KUBE_VERSIONS[-1]}"
done

# Built-in kinds against the Kubernetes schemas; ServiceMonitor and PrometheusRule against
# the schemas made from their CRDs (kubeconform tries each location in turn).
for kv in "${KUBE_VERSIONS[@]}"; do
  stream="$WORK/rendered-$kv.yaml"
  : >"$stream"
  render_ok=1
  for values in "${CI_FILES[@]}"; do
    if ! helm template "ci-$(basename "$values" -values.yaml)" "$CHART" -f "$values" \
      --kube-version "$kv" >>"$stream" 2>"$WORK/render.err"; then
      fail "helm template ($(basename "$values"), Kubernetes $kv)" "$(cat "$WORK/render.err")"
      render_ok=0
    fi
  done
  [ "$render_ok" = 1 ] || continue
  if out=$(kubeconform -strict -summary -kubernetes-version "$kv" \
    -schema-location "$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$CRD_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$stream" 2>&1) && grep -q 'Invalid: 0, Errors: 0, Skipped: 0' <<<"$out" && ! grep -q 'Valid: 0,' <<<"$out" &&
    grep -q '^kind: PrometheusRule' "$stream" && grep -q '^kind: ServiceMonitor' "$stream"; then
    pass "kubeconform -strict, Kubernetes $kv, ${#CI_FILES[@]} scenarios: $(grep -o 'Valid: [0-9]*' <<<"$out" | head -1) resources"
  else
    fail "kubeconform -strict, Kubernetes $kv" "$out"
  fi
done

if out=$(helm-unittest --color=false -f 'unittests/*_test.yaml' "$CHART" 2>&1); then ut_rc=0; else ut_rc=$?; fi
ut_line=$(grep -E '^Tests:' <<<"$out" | tail -1)
ut_passed=$(grep -oE '[0-9]+ passed' <<<"$ut_line" | grep -oE '^[0-9]+' || echo 0)
ut_failed=0
for n in $(grep -oE '[0-9]+ (failed|errored)' <<<"$ut_line" | grep -oE '^[0-9]+'); do ut_failed=$((ut_failed + n)); done
passed=$((passed + ut_passed))
if [ "$ut_rc" = 0 ] && [ "$ut_passed" -gt 0 ]; then
  echo "ok    helm-unittest: $ut_passed tests in $(grep -c '^ PASS ' <<<"$out") suites"
else
  failed=$((failed + (ut_failed > 0 ? ut_failed - 1 : 0)))
  fail "helm-unittest: $ut_line" "$out"
fi

# No default secrets: rendering without them must fail, and say what to do.
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  if out=$("$@" 2>&1); then
    fail "$name" "rendered although it should have failed"
  elif grep -qE "$pattern" <<<"$out"; then
    pass "$name"
  else
    fail "$name" "failed without the expected message /$pattern/: $out"
  fi
}
expect_failure "refuses to render without secrets (clear message)" \
  'auth\.ticketSecret[[:space:]]*$|A ticket signing secret is required' \
  helm template t "$CHART" --set 'externalKafka.brokers={k:9092}' --set externalRedis.host=r --set externalDatabase.host=p
expect_failure "no-secrets message names every missing secret" \
  'auth\.adminToken' helm template t "$CHART"
expect_failure "no-secrets message names the coupon-service token" \
  'auth\.couponServiceToken' helm template t "$CHART"
expect_failure "no-secrets message offers auth.existingSecret" \
  'auth\.existingSecret' helm template t "$CHART"
expect_failure "refuses a short ticket secret" \
  'at least 32 characters \(it has 5\)' \
  helm template t "$CHART" -f "$CHART/ci/default-values.yaml" --set auth.ticketSecret=short
expect_failure "refuses to render without the external endpoints" \
  'does not install Kafka, Redis or PostgreSQL' \
  helm template t "$CHART" --set auth.existingSecret=creds

# Every value is documented: each leaf of values.yaml, or an ancestor, has a `## @param`,
# and every `## @param` names a real key.
run "values.yaml: every value documented with ## @param" python3 - "$CHART/values.yaml" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
params, keys, stack = set(), [], []
for line in lines:
    m = re.match(r"^\s*## @param (\S+)", line)
    if m:
        params.add(m.group(1))
        continue
    if re.match(r"^\s*(#|$)", line) or re.match(r"^\s*- ", line):
        continue
    m = re.match(r"^(\s*)([A-Za-z0-9_.\-\"/]+):(.*)$", line)
    if not m:
        continue
    indent = len(m.group(1))
    while stack and stack[-1][0] >= indent:
        stack.pop()
    path = ".".join([k for _, k in stack] + [m.group(2)])
    keys.append(path)
    if m.group(3).strip() == "":
        stack.append((indent, m.group(2)))
def documented(path):
    parts = path.split(".")
    return any(".".join(parts[:i]) in params for i in range(1, len(parts) + 1))
parents = {k.rsplit(".", 1)[0] for k in keys if "." in k}
undocumented = [k for k in keys if k not in parents and not documented(k)]
unknown = sorted(p for p in params if p not in keys)
if undocumented or unknown:
    sys.exit(f"undocumented: {undocumented}\n@param for no key: {unknown}")
print(f"{len(keys)} keys, {len(params)} @param")
PY

# Drift: every variable the apps read (libs/config/src/env.ts) is set by the chart.
run "chart sets every variable of libs/config/src/env.ts" python3 - libs/config/src/env.ts "$CHART/templates/_helpers.tpl" <<'PY'
import re, sys
names = re.findall(r"^  ([A-Z][A-Z0-9_]+)(?::[^=]*)? = ", open(sys.argv[1]).read(), re.M)
helpers = open(sys.argv[2]).read()
missing = [n for n in names if not re.search(r"\b%s\b" % n, helpers)]
if not names or missing:
    sys.exit(f"not set by the chart (add to waiting-room.configData or secretEnv): {missing or 'no variables found'}")
print(f"{len(names)} variables")
PY

run "helm package (unittests/ and ci/ left out, the dashboard in)" sh -c "
  helm package '$CHART' -d '$WORK/pkg' >/dev/null &&
  tar -tzf '$WORK'/pkg/waiting-room-*.tgz > '$WORK/pkg.txt' &&
  grep -q 'waiting-room/templates/_helpers.tpl' '$WORK/pkg.txt' &&
  grep -q 'waiting-room/dashboards/waiting-room.json' '$WORK/pkg.txt' &&
  ! grep -qE 'waiting-room/(unittests|ci)/' '$WORK/pkg.txt'"

# ---------------------------------------------------------------- alerts and dashboard
# The monitoring scenario renders the PrometheusRule and the dashboard ConfigMap.
run "chart-check: go vet and go test (tools/chart-check)" \
  sh -c "cd '$CHART_SRC' && go vet ./... && go test ./..."
ALERTS="$WORK/alerts"
mkdir -p "$ALERTS"
if helm template shop "$CHART" --namespace queue -f "$CHART/ci/monitoring-values.yaml" \
  >"$WORK/monitoring.yaml" 2>"$WORK/render.err"; then
  checks "chart-check monitoring" \
    chart-check monitoring -root "$ROOT" -rules-out "$ALERTS/rules.yaml" "$WORK/monitoring.yaml"
  run "promtool check rules (the rendered PrometheusRule)" promtool check rules "$ALERTS/rules.yaml"
  # promtool reads rule_files relative to the test file: it sits beside rules.yaml.
  cp "$CHART/unittests/alerts/alerts.promtool.yaml" "$ALERTS/"
  run "promtool test rules: $(grep -c '^  - name: ' "$ALERTS/alerts.promtool.yaml") alert scenarios (unittests/alerts/alerts.promtool.yaml)" \
    promtool test rules "$ALERTS/alerts.promtool.yaml"
else
  fail "helm template (monitoring-values.yaml, for the alerts and the dashboard)" "$(cat "$WORK/render.err")"
fi

# ---------------------------------------------------------------- compose + Dockerfile
run "static-check: go vet and go test (tools/static-check)" \
  sh -c "cd '$STATIC_SRC' && go vet ./... && go test ./..."
checks "static-check" static-check "$ROOT"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
