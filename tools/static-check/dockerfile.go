package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

func dockerfileChecks(c *checker, dir string) {
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	c.check("dockerfile: exists", err)
	if err != nil {
		return
	}
	res, err := parser.Parse(strings.NewReader(string(dt)))
	c.check("dockerfile: parses", err)
	if err != nil {
		return
	}
	var warnings []string
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		warnings = append(warnings, fmt.Sprintf("line %d %s: %s", line, rule, msg))
	}})
	for _, w := range res.Warnings {
		warnings = append(warnings, w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	c.check("dockerfile: instructions parse", err)
	if err != nil {
		return
	}
	c.check("dockerfile: no buildkit lint warnings", errorf(len(warnings) == 0, "%s", strings.Join(warnings, "; ")))
	c.check("dockerfile: multi-stage", errorf(len(stages) >= 2, "%d stages", len(stages)))

	base := ""
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Key == "NODE_IMAGE" && kv.Value != nil {
				base = *kv.Value
			}
		}
	}
	c.check("dockerfile: Node 20/22 bookworm-slim base", errorf(base == "node:22-bookworm-slim" || base == "node:20-bookworm-slim", "NODE_IMAGE=%q", base))

	var runs []string
	for _, st := range stages[:len(stages)-1] {
		for _, cmd := range st.Commands {
			if r, ok := cmd.(*instructions.RunCommand); ok {
				runs = append(runs, strings.Join(r.CmdLine, " "))
			}
		}
	}
	all := strings.Join(runs, "\n")
	c.check("dockerfile: npm ci, npm run build, prune dev dependencies", errorf(
		strings.Contains(all, "npm ci") && strings.Contains(all, "npm run build") && strings.Contains(all, "npm prune --omit=dev"), "RUNs: %s", all))

	final := stages[len(stages)-1]
	user, cmd := "", []string(nil)
	copiesFromBuild := 0
	for _, i := range final.Commands {
		switch i := i.(type) {
		case *instructions.UserCommand:
			user = i.User
		case *instructions.CmdCommand:
			if !i.PrependShell {
				cmd = i.CmdLine
			}
		case *instructions.CopyCommand:
			if i.From != "" {
				copiesFromBuild++
			}
		}
	}
	c.check("dockerfile: the runtime stage runs as a non-root user", errorf(user != "" && user != "root" && !strings.HasPrefix(user, "0"), "USER %q", user))
	c.check("dockerfile: exec-form CMD starts the gateway", errorf(slices.Equal(cmd, []string{"node", "dist/apps/queue-gateway/src/main.js"}), "CMD %v", cmd))
	c.check("dockerfile: the runtime stage copies only build output", errorf(copiesFromBuild >= 2, "%d COPY --from", copiesFromBuild))

	// The build context as Docker computes it from .dockerignore.
	ignore, err := os.Open(filepath.Join(dir, ".dockerignore"))
	c.check("dockerignore: exists", err)
	if err != nil {
		return
	}
	defer ignore.Close()
	patterns, err := ignorefile.ReadAll(ignore)
	var pm *patternmatcher.PatternMatcher
	if err == nil {
		pm, err = patternmatcher.New(patterns)
	}
	c.check("dockerignore: parses", err)
	if err != nil {
		return
	}
	excluded := func(path string) bool {
		m, err := pm.MatchesOrParentMatches(path)
		return err != nil || m
	}
	var dropped []string
	for _, st := range stages {
		for _, i := range st.Commands {
			if cp, ok := i.(*instructions.CopyCommand); ok && cp.From == "" {
				for _, src := range cp.SourcePaths {
					if !inContext(dir, strings.TrimPrefix(filepath.Clean(src), "/"), excluded) {
						dropped = append(dropped, src)
					}
				}
			}
		}
	}
	c.check("dockerignore: keeps every path the Dockerfile copies", errorf(len(dropped) == 0, "excluded: %v", dropped))
	c.check("dockerignore: sources are in the context", errorf(!excluded("apps/queue-gateway/src/main.ts") && !excluded("libs/config/src/env.ts"), "apps/ or libs/ excluded"))
	var leaked []string
	for _, p := range []string{".env", ".env.local", "node_modules/x/index.js", "dist/apps/x.js", ".local/bin/helm", ".git/config", "apps/x/y.spec.ts"} {
		if !excluded(p) {
			leaked = append(leaked, p)
		}
	}
	c.check("dockerignore: .env, node_modules, dist, .local and .git stay out", errorf(len(leaked) == 0, "in the context: %v", leaked))
}

// inContext: a file that .dockerignore keeps, or a directory with at least one such file
// (Docker walks an excluded directory when an exception pattern may match below it).
func inContext(root, rel string, excluded func(string) bool) bool {
	info, err := os.Stat(filepath.Join(root, rel))
	if err != nil {
		return false
	}
	if !info.IsDir() {
		return !excluded(rel)
	}
	found := false
	_ = filepath.WalkDir(filepath.Join(root, rel), func(path string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		r, _ := filepath.Rel(root, path)
		if !d.IsDir() && !excluded(r) {
			found = true
		}
		return nil
	})
	return found
}
