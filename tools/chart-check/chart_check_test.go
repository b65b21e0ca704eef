package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const root = "../.."

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit returns text with old replaced by new, failing the test when old is not there.
func edit(t *testing.T, text, old, new string) string {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("%q is not in the text any more: update this test", old)
	}
	return strings.Replace(text, old, new, 1)
}

func TestTheAppsMetricsAreRead(t *testing.T) {
	metrics, err := appMetrics(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]metric{
		"queue_line_length":                {kind: "Gauge", labels: []string{"line"}},
		"queue_line_admitted":              {kind: "Gauge", labels: []string{"line"}},
		"queue_sse_streams":                {kind: "Gauge"},
		"queue_produce_duration_seconds":   {kind: "Histogram"},
		"queue_request_duration_seconds":   {kind: "Histogram", labels: []string{"kind"}},
		"admitter_admitted_total":          {kind: "Counter", labels: []string{"line"}},
		"admitter_skipped_abandoned_total": {kind: "Counter", labels: []string{"line"}},
		"admitter_rate_per_sec":            {kind: "Gauge", labels: []string{"line"}},
		"admitter_gateways_silent":         {kind: "Gauge", labels: []string{"line"}},
		"coupon_issue_total":               {kind: "Counter", labels: []string{"outcome"}},
	} {
		got, ok := metrics[name]
		if !ok {
			t.Errorf("%s not found", name)
			continue
		}
		if got.kind != want.kind || !slices.Equal(got.labels, want.labels) {
			t.Errorf("%s: got %s %q (%s), want %s %q", name, got.kind, got.labels, got.file, want.kind, want.labels)
		}
	}
}

func TestBothWaysOfDefiningAMetricAreRead(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "apps/a/src/m.ts"), `
const a = new Counter({
  name: 'a_total',
  help: 'A',
  labelNames: ['x', 'y'] as const,
});
readonly b = histogram({ name: 'b_seconds', help: 'B', buckets: [1, 2] });
`)
	write(t, filepath.Join(dir, "apps/a/src/m.spec.ts"), `new Gauge({ name: 'only_in_a_test' })`)
	metrics, err := appMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics) != 2 || metrics["a_total"].kind != "Counter" || !slices.Equal(metrics["a_total"].labels, []string{"x", "y"}) ||
		metrics["b_seconds"].kind != "Histogram" {
		t.Fatalf("got %+v", metrics)
	}
	known := series(metrics)
	for _, name := range []string{"a_total", "b_seconds_bucket", "b_seconds_count", "b_seconds_sum", "up"} {
		if _, ok := known[name]; !ok {
			t.Errorf("%s is not a known series: %q", name, names(known))
		}
	}
}

func TestQueries(t *testing.T) {
	metrics, err := appMetrics(root)
	if err != nil {
		t.Fatal(err)
	}
	known := series(metrics)
	for expr, wantErr := range map[string]string{
		`max by (namespace, line) (queue_line_length{namespace="q"}) > 0`:                         "",
		`histogram_quantile(0.99, sum by (le) (rate(queue_produce_duration_seconds_bucket[5m])))`: "",
		`sum by (outcome) (rate(coupon_issue_total{outcome="error"}[5m]))`:                        "",
		`changes(kube_pod_status_ready{condition="true",pod=~"x-.+"}[15m]) > 4`:                   "",
		`a unless on (line) b`:                                      `no app exports "a"`,
		`queue_line_lenght > 0`:                                     `no app exports "queue_line_lenght"`,
		`coupon_issue_total{line="A0001"}`:                          `coupon_issue_total has no label "line"`,
		`sum by (line) (coupon_issue_total)`:                        `groups or matches on "line"`,
		`queue_line_length / on (pod, outcome) queue_line_admitted`: `groups or matches on "outcome"`,
		`sum by (le) (rate(admitter_admitted_total[5m]))`:           `groups or matches on "le"`,
		`rate(queue_line_length[5m]`:                                "PromQL",
	} {
		err := checkQuery(expr, known)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: %v", expr, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: got %v, want an error with %q", expr, err, wantErr)
		}
	}
}

// render is `helm template` of the monitoring scenario (helm from PATH, as
// scripts/helm-check.sh sets it, or the one it builds into .local/bin).
func render(t *testing.T) string {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		helm = filepath.Join(root, ".local", "bin", "helm")
		if _, err := os.Stat(helm); err != nil {
			t.Skip("no helm on PATH nor in .local/bin: run bash scripts/helm-check.sh")
		}
	}
	chart := filepath.Join(root, "helm", "waiting-room")
	out, err := exec.Command(helm, "template", "shop", chart, "--namespace", "queue",
		"-f", filepath.Join(chart, "ci", "monitoring-values.yaml")).Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return string(out)
}

func failures(t *testing.T, rendered, rulesOut string) ([]string, *checker) {
	t.Helper()
	c := &checker{out: io.Discard}
	monitoringChecks(c, root, []byte(rendered), rulesOut)
	return c.failed(), c
}

func TestTheChartPasses(t *testing.T) {
	rulesOut := filepath.Join(t.TempDir(), "rules.yaml")
	failed, c := failures(t, render(t), rulesOut)
	if len(failed) > 0 {
		t.Fatalf("failed: %q", failed)
	}
	if len(c.results) < 35 {
		t.Errorf("only %d checks ran", len(c.results))
	}
	var file struct {
		Groups []ruleGroup `json:"groups"`
	}
	text, err := os.ReadFile(rulesOut)
	if err == nil {
		err = json.Unmarshal(text, &file)
	}
	if err != nil || len(file.Groups) < 4 || file.Groups[0].Rules[0].Alert != "WaitingRoomLineStuck" {
		t.Fatalf("rule file: %v %+v", err, file)
	}
}

func TestEachCheckFailsOnABrokenChart(t *testing.T) {
	rendered := render(t)
	for name, tc := range map[string]struct {
		old, new string
		want     []string
	}{
		"a misspelt metric in an alert": {
			`expr: max by (namespace, line) (admitter_gateways_silent{`, `expr: max by (namespace, line) (admitter_gateway_silent{`,
			[]string{"alert WaitingRoomAdmitterGatewaysSilent: PromQL over the apps' metrics and labels; for, severity, summary, description"},
		},
		"an alert without a severity": {
			"severity: warning", "priority: warning",
			[]string{"alert WaitingRoomAbandonmentSpike: PromQL over the apps' metrics and labels; for, severity, summary, description"},
		},
		"an alert without for": {
			"for: 0m", "keep_firing_for: 0m",
			[]string{"alert WaitingRoomPodReadinessFlapping: PromQL over the apps' metrics and labels; for, severity, summary, description"},
		},
		"an alert named twice": {
			"alert: WaitingRoomCouponIssueBusy", "alert: WaitingRoomCouponIssueErrors",
			[]string{"PrometheusRule: every alert named, once"},
		},
		"a dashboard query over a label the metric lacks": {
			`coupon_issue_total{namespace=\"$namespace\"}`, `coupon_issue_total{namespace=\"$namespace\",line=~\"$line\"}`,
			[]string{`dashboard panel "Coupon issues/s by outcome": PromQL over the apps' metrics`},
		},
		"a dashboard that is not JSON": {
			`"uid": "waiting-room",`, `"uid": "waiting-room"`,
			[]string{"dashboard: valid JSON"},
		},
		"a dashboard without its ETA panel": {
			`"title": "Estimated wait (line length / admission rate)"`, `"title": "Wait"`,
			[]string{"dashboard: the panels an operator needs"},
		},
		"no PrometheusRule": {
			"kind: PrometheusRule", "kind: SomethingElse",
			[]string{"one PrometheusRule is rendered"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			failed, _ := failures(t, edit(t, rendered, tc.old, tc.new), "")
			if !slices.Equal(failed, tc.want) {
				t.Errorf("failed checks:\n  got  %q\n  want %q", failed, tc.want)
			}
		})
	}
}

func TestCRDSchemas(t *testing.T) {
	dir := t.TempDir()
	crdPath := filepath.Join(dir, "crd.yaml")
	write(t, crdPath, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.com
  names: {kind: Widget}
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              properties:
                port:
                  x-kubernetes-int-or-string: true
                  anyOf: [{type: integer}, {type: string}]
                free:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                  properties: {a: {type: string}}
                labels:
                  type: object
                  additionalProperties: {type: string}
`)
	written, err := crdSchemas(crdPath, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "out", "example.com", "widget_v1.json")
	if !slices.Equal(written, []string{want}) {
		t.Fatalf("wrote %q, want %q", written, want)
	}
	var schema map[string]any
	text, _ := os.ReadFile(want)
	if err := json.Unmarshal(text, &schema); err != nil {
		t.Fatal(err)
	}
	spec := schema["properties"].(map[string]any)["spec"].(map[string]any)
	props := spec["properties"].(map[string]any)
	if schema["additionalProperties"] != false || spec["additionalProperties"] != false {
		t.Errorf("objects with properties are not closed: %s", text)
	}
	if _, set := props["free"].(map[string]any)["additionalProperties"]; set {
		t.Errorf("x-kubernetes-preserve-unknown-fields was closed: %s", text)
	}
	if _, ok := props["labels"].(map[string]any)["additionalProperties"].(map[string]any); !ok {
		t.Errorf("a map's additionalProperties was replaced: %s", text)
	}
	if port := props["port"].(map[string]any); port["anyOf"] != nil || len(port["type"].([]any)) != 2 {
		t.Errorf("int-or-string: %v", port)
	}
	if _, err := crdSchemas(filepath.Join(dir, "out", "example.com", "widget_v1.json"), dir); err == nil {
		t.Error("a file with no CRD was accepted")
	}
}
