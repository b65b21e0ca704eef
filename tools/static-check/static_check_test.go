package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
)

// checks runs one family of checks on dir and returns the names of those that failed.
func checks(t *testing.T, family func(*checker, string), dir string) []string {
	t.Helper()
	c := &checker{out: io.Discard}
	family(c, dir)
	if len(c.results) == 0 {
		t.Fatal("no check ran")
	}
	return c.failed()
}

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
		t.Fatalf("%q is not in the file any more: update this test", old)
	}
	return strings.Replace(text, old, new, 1)
}

func sameFailures(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("failed checks:\n  got  %q\n  want %q", got, want)
	}
}

func TestTheRepositoryPasses(t *testing.T) {
	var out strings.Builder
	c := run(filepath.Join("..", ".."), &out)
	if failed := c.failed(); len(failed) > 0 {
		t.Fatalf("failed: %q\n%s", failed, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(c.results) || len(lines) < 40 {
		t.Fatalf("%d results, %d lines:\n%s", len(c.results), len(lines), out.String())
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "PASS ") {
			t.Errorf("not a PASS line: %q", line)
		}
	}
}

func TestCheckerPrintsOneLinePerCheck(t *testing.T) {
	var out strings.Builder
	c := &checker{out: &out}
	c.check("a", nil)
	c.check("b", errorf(1 > 2, "want %d, got %d", 2, 1))
	c.check("c", errorf(true, "never"))
	if want := "PASS a\nFAIL b: want 2, got 1\nPASS c\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	sameFailures(t, c.failed(), []string{"b"})
}

// The repository's docker-compose.yml, changed one way at a time: each change fails
// exactly the checks that guard against it.
func TestComposeChecksCatchEachChange(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	compose := string(orig)
	hardened := func(apps ...string) []string {
		var names []string
		for _, a := range apps {
			names = append(names, "compose: "+a+" is hardened (read-only, no capabilities, listens on 0.0.0.0)")
		}
		return names
	}
	cases := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"unchanged", "", "", nil},
		{"a default ticket secret",
			"${TICKET_SECRET:?", "${TICKET_SECRET:-insecure default, ",
			[]string{"compose: refuses to start without TICKET_SECRET"}},
		{"writable app containers", "  read_only: true\n", "  read_only: false\n",
			hardened("migrate", "coupon-service", "admitter", "queue-gateway")},
		{"one admitter", "    deploy:\n      replicas: 2\n", "",
			[]string{"compose: two admitters (hot standby)"}},
		{"the coupon service does not wait for the migration",
			"condition: service_completed_successfully", "condition: service_started",
			[]string{"compose: coupon-service starts after the migration succeeded"}},
		{"no kafka healthcheck",
			"    healthcheck:\n      test: [\"CMD-SHELL\", \"/opt/kafka/bin/kafka-broker-api-versions.sh",
			"    healthcheck:\n      disable: true\n      x-was: [\"CMD-SHELL\", \"/opt/kafka/bin/kafka-broker-api-versions.sh",
			[]string{"compose: kafka has a healthcheck"}},
		{"locust always on", "    profiles: [\"load\"]\n    command: [\"-f\", \"/mnt/locust/locustfile.py\", \"--master\"",
			"    command: [\"-f\", \"/mnt/locust/locustfile.py\", \"--master\"",
			[]string{
				"compose: locust-master runs locustio/locust with locust/ mounted, only under the load profile",
				"compose: the load profile is off by default",
			}},
		{"not a compose file", "services:\n", "servicez:\n",
			[]string{"compose: loads and validates against the compose specification"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := compose
			if tc.old != "" {
				text = edit(t, compose, tc.old, tc.new)
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, "docker-compose.yml"), text)
			sameFailures(t, checks(t, composeChecks, dir), tc.want)
		})
	}
}

const goodDockerfile = `# syntax=docker/dockerfile:1
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY libs ./libs
COPY apps ./apps
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 1000:1000
CMD ["node", "dist/apps/queue-gateway/src/main.js"]
`

const goodDockerignore = `**
!package.json
!package-lock.json
!apps/**
!libs/**
**/*.spec.ts
.env
.env.*
`

// A small build context that passes, changed one way at a time.
func TestDockerfileChecksCatchEachChange(t *testing.T) {
	cases := []struct {
		name               string
		dockerfile, ignore [2]string // old, new
		noIgnore           bool
		want               []string
	}{
		{name: "unchanged"},
		{name: "runs as root", dockerfile: [2]string{"USER 1000:1000", "USER 0:0"},
			want: []string{"dockerfile: the runtime stage runs as a non-root user"}},
		{name: "shell-form CMD", dockerfile: [2]string{`CMD ["node", "dist/apps/queue-gateway/src/main.js"]`, "CMD node dist/apps/queue-gateway/src/main.js"},
			want: []string{"dockerfile: exec-form CMD starts the gateway"}},
		{name: "dev dependencies kept", dockerfile: [2]string{" && npm prune --omit=dev", ""},
			want: []string{"dockerfile: npm ci, npm run build, prune dev dependencies"}},
		{name: "another base image", dockerfile: [2]string{"node:22-bookworm-slim", "node:18-alpine"},
			want: []string{"dockerfile: Node 20/22 bookworm-slim base"}},
		{name: "a lint warning", dockerfile: [2]string{"AS runtime", "as runtime"},
			want: []string{"dockerfile: no buildkit lint warnings"}},
		{name: "one stage", dockerfile: [2]string{"FROM ${NODE_IMAGE} AS runtime\nWORKDIR /app\nCOPY --from=build /app/node_modules ./node_modules\nCOPY --from=build /app/dist ./dist\n", ""},
			want: []string{
				"dockerfile: multi-stage",
				"dockerfile: npm ci, npm run build, prune dev dependencies",
				"dockerfile: the runtime stage copies only build output",
			}},
		{name: "not a Dockerfile", dockerfile: [2]string{"FROM ${NODE_IMAGE} AS build", "FROM"},
			want: []string{"dockerfile: instructions parse"}},
		{name: "libs left out of the context", ignore: [2]string{"!libs/**\n", ""},
			want: []string{"dockerignore: keeps every path the Dockerfile copies", "dockerignore: sources are in the context"}},
		{name: ".env in the context", ignore: [2]string{".env\n.env.*\n", "!.env\n"},
			want: []string{"dockerignore: .env, node_modules, dist, .local and .git stay out"}},
		{name: "no .dockerignore", noIgnore: true,
			want: []string{"dockerignore: exists"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dockerfile, ignore := goodDockerfile, goodDockerignore
			if tc.dockerfile[0] != "" {
				dockerfile = edit(t, dockerfile, tc.dockerfile[0], tc.dockerfile[1])
			}
			if tc.ignore[0] != "" {
				ignore = edit(t, ignore, tc.ignore[0], tc.ignore[1])
			}
			write(t, filepath.Join(dir, "Dockerfile"), dockerfile)
			if !tc.noIgnore {
				write(t, filepath.Join(dir, ".dockerignore"), ignore)
			}
			for _, f := range []string{"package.json", "package-lock.json", "libs/config/src/env.ts", "apps/queue-gateway/src/main.ts"} {
				write(t, filepath.Join(dir, f), "x")
			}
			sameFailures(t, checks(t, dockerfileChecks, dir), tc.want)
		})
	}
}

func TestInContext(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"apps/a/main.ts", "apps/a/main.spec.ts", "tests/only.spec.ts", "secret/key"} {
		write(t, filepath.Join(root, f), "x")
	}
	pm, err := patternmatcher.New([]string{"**", "!apps/**", "!tests/**", "**/*.spec.ts"})
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		m, err := pm.MatchesOrParentMatches(p)
		return err != nil || m
	}
	for rel, want := range map[string]bool{
		"apps":                true,  // a directory with a kept file
		"apps/a/main.ts":      true,  // a kept file
		"apps/a/main.spec.ts": false, // an excluded file
		"tests":               false, // a directory whose every file is excluded
		"secret":              false, // an excluded directory
		"missing":             false, // not there at all
	} {
		if got := inContext(root, rel, excluded); got != want {
			t.Errorf("inContext(%q) = %v, want %v", rel, got, want)
		}
	}
}
