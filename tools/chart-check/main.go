// Command chart-check: checks of the Helm chart's monitoring objects that helm lint,
// kubeconform and helm-unittest cannot make. scripts/helm-check.sh builds and runs it.
//
//	chart-check monitoring [-root DIR] [-rules-out FILE] RENDERED.yaml
//
// reads `helm template` output holding the PrometheusRule and the Grafana dashboard
// ConfigMap and prints one "PASS name" or "FAIL name: reason" line per check: each alert
// and each dashboard query is valid PromQL (Prometheus' own parser) and names only
// metrics and labels the apps export (read from DIR/apps/**/*.ts, so a renamed metric
// fails here), every alert has a for, a severity, a summary and a description, and the
// dashboard is valid JSON with the panels an operator needs. -rules-out writes the
// PrometheusRule's groups as a Prometheus rule file for `promtool test rules`.
//
//	chart-check crd-schemas OUTDIR CRD.yaml...
//
// turns CustomResourceDefinitions into the JSON schemas kubeconform reads
// (OUTDIR/<group>/<kind>_<version>.json), strict: an object with properties admits no
// other field unless the CRD says it preserves unknown fields.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// checker prints each check's outcome as it comes and keeps them for its caller.
type checker struct {
	out     io.Writer
	results []result
}

type result struct {
	name string
	err  error
}

func (c *checker) check(name string, err error) {
	c.results = append(c.results, result{name, err})
	if err != nil {
		fmt.Fprintf(c.out, "FAIL %s: %v\n", name, err)
		return
	}
	fmt.Fprintf(c.out, "PASS %s\n", name)
}

// failed names the checks that failed, in order.
func (c *checker) failed() []string {
	var names []string
	for _, r := range c.results {
		if r.err != nil {
			names = append(names, r.name)
		}
	}
	return names
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: chart-check monitoring [-root DIR] [-rules-out FILE] RENDERED.yaml")
	fmt.Fprintln(os.Stderr, "       chart-check crd-schemas OUTDIR CRD.yaml...")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "monitoring":
		fs := flag.NewFlagSet("monitoring", flag.ExitOnError)
		root := fs.String("root", ".", "repository root (the apps' sources name the metrics)")
		rulesOut := fs.String("rules-out", "", "write the PrometheusRule's groups here as a Prometheus rule file")
		_ = fs.Parse(os.Args[2:])
		if fs.NArg() != 1 {
			usage()
		}
		rendered, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c := &checker{out: os.Stdout}
		monitoringChecks(c, *root, rendered, *rulesOut)
		if len(c.failed()) > 0 {
			os.Exit(1)
		}
	case "crd-schemas":
		if len(os.Args) < 4 {
			usage()
		}
		for _, path := range os.Args[3:] {
			written, err := crdSchemas(path, os.Args[2])
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				os.Exit(1)
			}
			for _, w := range written {
				fmt.Println(w)
			}
		}
	default:
		usage()
	}
}
