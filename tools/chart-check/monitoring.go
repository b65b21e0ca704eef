package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// The panels an operator needs (issue 12), by title.
var wantPanels = []string{
	"Line length",
	"Admissions/s against the configured rate",
	"Estimated wait (line length / admission rate)",
	"Requests/s by kind (joins, polls, status reads)",
	"Open event streams (SSE) per gateway pod",
	"Ticket produce latency (acks=all)",
	"Coupon issues/s by outcome",
	"Coupon issue errors/s",
}

// Grafana's variables, as a query is sent to Prometheus.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"${namespace}", "queue",
	"$namespace", "queue",
	"${line}", ".*",
	"$line", ".*",
)

type document struct {
	APIVersion string                `yaml:"apiVersion"`
	Kind       string                `yaml:"kind"`
	Metadata   struct{ Name string } `yaml:"metadata"`
	Spec       struct {
		Groups []ruleGroup `yaml:"groups"`
	} `yaml:"spec"`
	Data map[string]string `yaml:"data"`
}

type ruleGroup struct {
	Name     string `yaml:"name" json:"name"`
	Interval string `yaml:"interval,omitempty" json:"interval,omitempty"`
	Rules    []rule `yaml:"rules" json:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert,omitempty" json:"alert,omitempty"`
	Record      string            `yaml:"record,omitempty" json:"record,omitempty"`
	Expr        string            `yaml:"expr" json:"expr"`
	For         string            `yaml:"for,omitempty" json:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// documents splits `helm template` output into its objects.
func documents(rendered []byte) ([]document, error) {
	var docs []document
	dec := yaml.NewDecoder(bytes.NewReader(rendered))
	for {
		var d document
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if d.Kind != "" {
			docs = append(docs, d)
		}
	}
}

// checkQuery parses a PromQL expression and checks that every series it selects is one
// the apps (or Prometheus, kube-state-metrics) export, matched and grouped by labels
// that series have.
func checkQuery(expr string, known map[string][]string) error {
	node, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return fmt.Errorf("PromQL: %v", err)
	}
	var problems []string
	allowed := map[string]bool{}
	var grouping []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			labels, ok := known[n.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("no app exports %q", n.Name))
				return nil
			}
			for _, l := range labels {
				allowed[l] = true
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !slices.Contains(labels, m.Name) {
					problems = append(problems, fmt.Sprintf("%s has no label %q", n.Name, m.Name))
				}
			}
		case *parser.AggregateExpr:
			grouping = append(grouping, n.Grouping...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				grouping = append(grouping, n.VectorMatching.MatchingLabels...)
			}
		}
		return nil
	})
	for _, l := range grouping {
		if !allowed[l] {
			problems = append(problems, fmt.Sprintf("groups or matches on %q, a label none of its series has", l))
		}
	}
	slices.Sort(problems)
	if problems = slices.Compact(problems); len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func monitoringChecks(c *checker, root string, rendered []byte, rulesOut string) {
	metrics, err := appMetrics(root)
	c.check("the apps' metrics are found in apps/**/*.ts", err)
	if err != nil {
		return
	}
	known := series(metrics)
	docs, err := documents(rendered)
	c.check("the rendered chart parses", err)
	if err != nil {
		return
	}
	var rules, dashboards []document
	for _, d := range docs {
		switch {
		case d.Kind == "PrometheusRule":
			rules = append(rules, d)
		case d.Kind == "ConfigMap" && strings.HasSuffix(d.Metadata.Name, "-dashboard"):
			dashboards = append(dashboards, d)
		}
	}
	c.check("one PrometheusRule is rendered", errorf(len(rules) == 1, "found %d", len(rules)))
	if len(rules) == 1 {
		prometheusRuleChecks(c, rules[0], known, rulesOut)
	}
	c.check("one Grafana dashboard ConfigMap is rendered", errorf(len(dashboards) == 1, "found %d", len(dashboards)))
	if len(dashboards) == 1 {
		dashboardChecks(c, dashboards[0], known)
	}
}

// errorf is nil when ok holds, else an error saying why not.
func errorf(ok bool, format string, a ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, a...)
}

var durationRe = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

func prometheusRuleChecks(c *checker, d document, known map[string][]string, rulesOut string) {
	c.check("PrometheusRule: monitoring.coreos.com/v1", errorf(d.APIVersion == "monitoring.coreos.com/v1", "apiVersion %q", d.APIVersion))
	n := 0
	seen := map[string]bool{}
	var repeated []string
	for _, g := range d.Spec.Groups {
		for _, r := range g.Rules {
			n++
			if seen[r.Alert] || r.Alert == "" {
				repeated = append(repeated, r.Alert)
			}
			seen[r.Alert] = true
			var problems []string
			if err := checkQuery(r.Expr, known); err != nil {
				problems = append(problems, err.Error())
			}
			if !durationRe.MatchString(r.For) {
				problems = append(problems, fmt.Sprintf("no for (%q)", r.For))
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				problems = append(problems, fmt.Sprintf("severity is not critical, warning or info (%q)", s))
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					problems = append(problems, "no "+a)
				}
			}
			c.check("alert "+r.Alert+": PromQL over the apps' metrics and labels; for, severity, summary, description",
				errorf(len(problems) == 0, "%s", strings.Join(problems, "; ")))
		}
	}
	c.check("PrometheusRule: every alert named, once", errorf(len(repeated) == 0, "empty or repeated: %q", repeated))
	c.check("PrometheusRule: has alerts", errorf(n > 0, "no rule"))
	if rulesOut != "" {
		// JSON is YAML: a rule file promtool reads, with no YAML library's quoting to trust.
		text, err := json.MarshalIndent(map[string]any{"groups": d.Spec.Groups}, "", "  ")
		if err == nil {
			err = os.WriteFile(rulesOut, append(text, '\n'), 0o644)
		}
		c.check("PrometheusRule: written as a rule file for promtool", err)
	}
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
}

func dashboardChecks(c *checker, d document, known map[string][]string) {
	var keys []string
	for k := range d.Data {
		keys = append(keys, k)
	}
	if !c.checkOK("dashboard ConfigMap: one .json key", errorf(len(keys) == 1 && strings.HasSuffix(keys[0], ".json"), "keys %q", keys)) {
		return
	}
	var dash dashboard
	dec := json.NewDecoder(strings.NewReader(d.Data[keys[0]]))
	err := dec.Decode(&dash)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if !c.checkOK("dashboard: valid JSON", err) {
		return
	}
	c.check("dashboard: has a uid and a title", errorf(dash.UID != "" && dash.Title != "", "uid %q, title %q", dash.UID, dash.Title))
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
		if q, ok := v.Query.(map[string]any); ok && v.Type == "query" {
			if s, ok := q["query"].(string); ok {
				if inner := labelValuesRe.FindStringSubmatch(s); inner != nil {
					c.check("dashboard variable "+v.Name+": selects an app metric", checkQuery(grafanaVariables.Replace(inner[1]), known))
				}
			}
		}
	}
	c.check("dashboard: data source, namespace and line variables", errorf(
		slices.Contains(vars, "datasource") && slices.Contains(vars, "namespace") && slices.Contains(vars, "line"), "variables %q", vars))
	var all []panel
	for _, p := range dash.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	var titles []string
	for _, p := range all {
		if p.Type == "row" {
			continue
		}
		titles = append(titles, p.Title)
		var problems []string
		if len(p.Targets) == 0 {
			problems = append(problems, "no query")
		}
		for _, t := range p.Targets {
			if err := checkQuery(grafanaVariables.Replace(t.Expr), known); err != nil {
				problems = append(problems, fmt.Sprintf("query %s: %v", t.RefID, err))
			}
		}
		c.check(fmt.Sprintf("dashboard panel %q: PromQL over the apps' metrics", p.Title),
			errorf(len(problems) == 0, "%s", strings.Join(problems, "; ")))
	}
	var missing []string
	for _, want := range wantPanels {
		if !slices.Contains(titles, want) {
			missing = append(missing, want)
		}
	}
	c.check("dashboard: the panels an operator needs", errorf(len(missing) == 0, "missing %q", missing))
}

var labelValuesRe = regexp.MustCompile(`^label_values\((.*),\s*[a-zA-Z_]+\)$`)

// checkOK records a check and says whether it passed.
func (c *checker) checkOK(name string, err error) bool {
	c.check(name, err)
	return err == nil
}
