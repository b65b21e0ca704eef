import { Controller, Get, Inject, InjectionToken, Optional, Provider } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';

/** The checks /health/ready runs, provided by each app with {@link readinessChecks}. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
/** The checks /health/dependencies runs (default: the readiness checks), see {@link dependencyChecks}. */
export const DEPENDENCY_CHECKS = Symbol('DEPENDENCY_CHECKS');

/**
 * Three probes that mean different things, the same in every app:
 * - /health/live: the process answers (restart it when not);
 * - /health/ready: it can do its job for a request now (send it traffic when so);
 * - /health/dependencies: what it depends on answers (for operators and alerts; no
 *   probe should act on it, or a dependency's blip takes every healthy pod out at once).
 * What "ready" and "dependencies" check is the app's to say.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly checks: HealthIndicatorFunction[],
    @Optional()
    @Inject(DEPENDENCY_CHECKS)
    private readonly dependencies?: HealthIndicatorFunction[],
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: this app can serve a request now. */
  @Get(['ready', ''])
  @HealthCheck()
  ready() {
    return this.health.check(this.checks);
  }

  /** Every dependency of this app answers now. */
  @Get('dependencies')
  @HealthCheck()
  dependencyHealth() {
    return this.health.check(this.dependencies ?? this.checks);
  }
}

/** Declares an app's readiness checks (/health/ready), built from injected health indicators. */
export function readinessChecks<Deps extends unknown[]>(
  inject: { [K in keyof Deps]: InjectionToken },
  build: (...deps: Deps) => HealthIndicatorFunction[],
): Provider {
  return checksProvider(READINESS_CHECKS, inject, build);
}

/** Declares an app's dependency checks (/health/dependencies) when they differ from readiness. */
export function dependencyChecks<Deps extends unknown[]>(
  inject: { [K in keyof Deps]: InjectionToken },
  build: (...deps: Deps) => HealthIndicatorFunction[],
): Provider {
  return checksProvider(DEPENDENCY_CHECKS, inject, build);
}

function checksProvider<Deps extends unknown[]>(
  provide: symbol,
  inject: { [K in keyof Deps]: InjectionToken },
  build: (...deps: Deps) => HealthIndicatorFunction[],
): Provider {
  return {
    provide,
    inject,
    useFactory: build as (...deps: unknown[]) => HealthIndicatorFunction[],
  };
}
