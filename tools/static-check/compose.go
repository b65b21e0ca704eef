package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads dir/docker-compose.yml as `docker compose` would, with env as the
// environment and the given profiles enabled.
func loadCompose(dir string, env []string, profiles ...string) (*types.Project, error) {
	fns := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(dir), cli.WithEnv(env)}
	if len(profiles) > 0 {
		fns = append(fns, cli.WithProfiles(profiles))
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "docker-compose.yml")}, fns...)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

func dependsOn(s types.ServiceConfig, target, condition string) error {
	d, ok := s.DependsOn[target]
	return errorf(ok && d.Condition == condition, "%s must depend on %s with condition %s (has %+v)", s.Name, target, condition, s.DependsOn)
}

// composeSecrets: the variables docker-compose.yml requires (`${X:?...}`), as .env sets them.
var composeSecrets = []string{
	"TICKET_SECRET=static-check-ticket-secret-0123456789abcdef",
	"ADMIN_TOKEN=static-check-admin-token",
	"COUPON_SERVICE_TOKEN=static-check-coupon-service-token",
	"POSTGRES_PASSWORD=static-check-password",
}

func composeChecks(c *checker, dir string) {
	secrets := composeSecrets
	p, err := loadCompose(dir, secrets, "load")
	c.check("compose: loads and validates against the compose specification", err)
	if err != nil {
		return
	}
	_, err = loadCompose(dir, secrets[1:], "load")
	c.check("compose: refuses to start without TICKET_SECRET", errorf(err != nil && strings.Contains(err.Error(), "TICKET_SECRET"), "expected a TICKET_SECRET error, got %v", err))
	withoutCouponToken := slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return strings.HasPrefix(s, "COUPON_SERVICE_TOKEN=") })
	_, err = loadCompose(dir, withoutCouponToken, "load")
	c.check("compose: refuses to start without COUPON_SERVICE_TOKEN", errorf(err != nil && strings.Contains(err.Error(), "COUPON_SERVICE_TOKEN"), "expected a COUPON_SERVICE_TOKEN error, got %v", err))

	want := []string{"kafka", "redis", "postgres", "migrate", "coupon-service", "admitter", "queue-gateway", "locust-master", "locust-worker"}
	var missing []string
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			missing = append(missing, name)
		}
	}
	c.check("compose: has every service", errorf(len(missing) == 0, "missing %v", missing))

	k := p.Services["kafka"]
	c.check("compose: kafka is apache/kafka:4.1.1 in KRaft mode with replication factor 1",
		errorf(k.Image == "apache/kafka:4.1.1" && env(k, "KAFKA_PROCESS_ROLES") == "broker,controller" &&
			env(k, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR") == "1" && env(k, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR") == "1",
			"kafka: image %q roles %q", k.Image, env(k, "KAFKA_PROCESS_ROLES")))

	for _, name := range []string{"kafka", "redis", "postgres", "coupon-service", "admitter", "queue-gateway"} {
		s := p.Services[name]
		c.check("compose: "+name+" has a healthcheck", errorf(s.HealthCheck != nil && len(s.HealthCheck.Test) > 0 && !s.HealthCheck.Disable, "no healthcheck"))
	}

	apps := map[string]string{
		"migrate":        "dist/apps/coupon-service/src/migrate.js",
		"coupon-service": "dist/apps/coupon-service/src/main.js",
		"admitter":       "dist/apps/admitter/src/main.js",
		"queue-gateway":  "dist/apps/queue-gateway/src/main.js",
	}
	for name, entry := range apps {
		s := p.Services[name]
		c.check("compose: "+name+" builds the Dockerfile and runs "+entry, errorf(
			s.Build != nil && s.Build.Dockerfile == "Dockerfile" && len(s.Command) == 2 && s.Command[0] == "node" && s.Command[1] == entry,
			"build %+v command %v", s.Build, s.Command))
		c.check("compose: "+name+" is hardened (read-only, no capabilities, listens on 0.0.0.0)", errorf(
			s.ReadOnly && slices.Contains(s.CapDrop, "ALL") && env(s, "GATEWAY_HOST") == "0.0.0.0" && env(s, "TICKET_SECRET") != "",
			"read_only=%v cap_drop=%v GATEWAY_HOST=%q", s.ReadOnly, s.CapDrop, env(s, "GATEWAY_HOST")))
	}
	c.check("compose: coupon-service listens on all interfaces", errorf(env(p.Services["coupon-service"], "COUPON_SERVICE_BIND_HOST") == "0.0.0.0", "COUPON_SERVICE_BIND_HOST"))
	for _, name := range []string{"coupon-service", "queue-gateway"} {
		c.check("compose: "+name+" gets COUPON_SERVICE_TOKEN", errorf(env(p.Services[name], "COUPON_SERVICE_TOKEN") == "static-check-coupon-service-token", "COUPON_SERVICE_TOKEN=%q", env(p.Services[name], "COUPON_SERVICE_TOKEN")))
	}
	c.check("compose: the gateway dials coupon-service by name", errorf(env(p.Services["queue-gateway"], "COUPON_SERVICE_HOST") == "coupon-service", "COUPON_SERVICE_HOST"))

	c.check("compose: migrate waits for a healthy postgres", dependsOn(p.Services["migrate"], "postgres", types.ServiceConditionHealthy))
	c.check("compose: coupon-service starts after the migration succeeded", dependsOn(p.Services["coupon-service"], "migrate", types.ServiceConditionCompletedSuccessfully))
	c.check("compose: coupon-service waits for healthy redis", dependsOn(p.Services["coupon-service"], "redis", types.ServiceConditionHealthy))
	c.check("compose: admitter waits for a healthy kafka", dependsOn(p.Services["admitter"], "kafka", types.ServiceConditionHealthy))
	c.check("compose: gateway waits for a healthy kafka", dependsOn(p.Services["queue-gateway"], "kafka", types.ServiceConditionHealthy))
	c.check("compose: gateway waits for a healthy coupon-service", dependsOn(p.Services["queue-gateway"], "coupon-service", types.ServiceConditionHealthy))
	adm := p.Services["admitter"]
	c.check("compose: two admitters (hot standby)", errorf(adm.Deploy != nil && adm.Deploy.Replicas != nil && *adm.Deploy.Replicas == 2, "deploy %+v", adm.Deploy))

	for _, name := range []string{"locust-master", "locust-worker"} {
		s := p.Services[name]
		mounted := slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
			return filepath.Base(v.Source) == "locust" && v.Target == "/mnt/locust"
		})
		c.check("compose: "+name+" runs locustio/locust with locust/ mounted, only under the load profile", errorf(
			strings.HasPrefix(s.Image, "locustio/locust:") && mounted && slices.Equal(s.Profiles, []string{"load"}),
			"image %q profiles %v volumes %+v", s.Image, s.Profiles, s.Volumes))
	}
	w := p.Services["locust-worker"]
	c.check("compose: locust workers find the master", errorf(slices.Contains(w.Command, "--worker") && slices.Contains(w.Command, "locust-master"), "command %v", w.Command))

	def, err := loadCompose(dir, secrets)
	c.check("compose: the load profile is off by default", errorf(err == nil && def.Services["locust-master"].Name == "", "err %v", err))
}
