import { Controller, Get, Inject, InjectionToken, Provider } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';

/** The checks /health/ready runs, provided by each app with {@link readinessChecks}. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * /health/live (the process answers) and /health/ready (its dependencies
 * answer), the same in every app; what "ready" checks is the app's to say.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly checks: HealthIndicatorFunction[],
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: every dependency of this app answers. */
  @Get(['ready', ''])
  @HealthCheck()
  ready() {
    return this.health.check(this.checks);
  }
}

/** Declares an app's readiness checks, built from injected health indicators. */
export function readinessChecks<Deps extends unknown[]>(
  inject: { [K in keyof Deps]: InjectionToken },
  build: (...deps: Deps) => HealthIndicatorFunction[],
): Provider {
  return {
    provide: READINESS_CHECKS,
    inject,
    useFactory: build as (...deps: unknown[]) => HealthIndicatorFunction[],
  };
}
