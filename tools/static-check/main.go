// Command static-check: static checks of docker-compose.yml and the Dockerfile, without a
// Docker engine. compose-go is the loader `docker compose` itself uses (schema,
// interpolation, references); buildkit's parser and linter are what `docker build --check`
// runs. scripts/helm-check.sh builds and runs it:
//
//	static-check [DIR]
//
// prints one "PASS name" or "FAIL name: reason" line per check of DIR/docker-compose.yml,
// DIR/Dockerfile and DIR/.dockerignore (DIR defaults to .), and exits 1 if any failed.
package main

import (
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

// errorf is nil when ok holds, else an error saying why not.
func errorf(ok bool, format string, a ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, a...)
}

// run runs every check of dir, printing to out.
func run(dir string, out io.Writer) *checker {
	c := &checker{out: out}
	composeChecks(c, dir)
	dockerfileChecks(c, dir)
	return c
}

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if len(run(dir, os.Stdout).failed()) > 0 {
		os.Exit(1)
	}
}
