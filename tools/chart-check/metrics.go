package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// metric is one series family an app exports, as its prom-client constructor says.
type metric struct {
	kind   string // Counter, Gauge, Histogram or Summary
	labels []string
	file   string
}

var (
	// `new Counter({ name: ... })`, or libs/common's `counter({ name: ... })` and its kin.
	constructorRe = regexp.MustCompile(`(?s)\b(?:new (Counter|Gauge|Histogram|Summary)|(counter|gauge|histogram|summary))\(\{(.*?)\}\)`)
	nameRe        = regexp.MustCompile(`name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'`)
	labelNamesRe  = regexp.MustCompile(`labelNames:\s*\[([^\]]*)\]`)
	quotedRe      = regexp.MustCompile(`'([^']+)'`)
)

// appMetrics reads every prom-client metric the apps define (root/apps/**/*.ts, tests aside).
func appMetrics(root string) (map[string]metric, error) {
	found := map[string]metric{}
	err := filepath.WalkDir(filepath.Join(root, "apps"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".ts") || strings.HasSuffix(path, ".spec.ts") {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range constructorRe.FindAllStringSubmatch(string(text), -1) {
			kind, body := m[1], m[3]
			if kind == "" {
				kind = strings.ToUpper(m[2][:1]) + m[2][1:]
			}
			name := nameRe.FindStringSubmatch(body)
			if name == nil {
				continue
			}
			var labels []string
			if ln := labelNamesRe.FindStringSubmatch(body); ln != nil {
				for _, q := range quotedRe.FindAllStringSubmatch(ln[1], -1) {
					labels = append(labels, q[1])
				}
			}
			rel, _ := filepath.Rel(root, path)
			found[name[1]] = metric{kind: kind, labels: labels, file: rel}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no prom-client metric found under %s", filepath.Join(root, "apps"))
	}
	return found, nil
}

// Labels Prometheus adds to every scraped series (target labels of a ServiceMonitor).
var targetLabels = []string{"namespace", "service", "pod", "job", "instance", "container", "endpoint"}

// Series from outside the apps that the alerts use, with the labels they may be matched on.
var externalSeries = map[string][]string{
	"up":                    nil,
	"kube_pod_status_ready": {"condition", "uid"}, // kube-state-metrics
}

// series is what the apps' metrics export: a histogram's _bucket, _count and _sum,
// every other metric under its own name. It maps each series name to its labels.
func series(metrics map[string]metric) map[string][]string {
	out := map[string][]string{}
	for name, m := range metrics {
		labels := append(append([]string{}, m.labels...), targetLabels...)
		switch m.kind {
		case "Histogram":
			out[name+"_bucket"] = append(append([]string{}, labels...), "le")
			out[name+"_count"] = labels
			out[name+"_sum"] = labels
		case "Summary":
			out[name] = append(append([]string{}, labels...), "quantile")
			out[name+"_count"] = labels
			out[name+"_sum"] = labels
		default:
			out[name] = labels
		}
	}
	for name, labels := range externalSeries {
		out[name] = append(append([]string{}, labels...), targetLabels...)
	}
	return out
}

func names(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
