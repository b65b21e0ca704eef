import { Controller, Get, Header, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  register,
} from 'prom-client';

let defaultsCollected = false;

/** Exposes the process-wide prom-client registry at /metrics (Prometheus text format). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

@Module({ controllers: [MetricsController] })
export class MetricsModule {
  constructor() {
    if (!defaultsCollected) {
      collectDefaultMetrics();
      defaultsCollected = true;
    }
  }
}

/** What a metric is, for comparing two of them and for tests that pin an app's metrics. */
export interface MetricDefinition {
  type: string;
  name: string;
  help: string;
  labelNames: readonly string[];
  /** A histogram's bucket upper bounds. */
  buckets?: readonly number[];
}

/** The definition of a prom-client metric (which carries it, untyped). */
export function definitionOf(metric: object): MetricDefinition {
  const { type, name, help, labelNames, upperBounds } = metric as MetricDefinition & {
    upperBounds?: number[];
  };
  return { type, name, help, labelNames, ...(upperBounds ? { buckets: upperBounds } : {}) };
}

interface Definition {
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets?: readonly number[];
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean =>
  a.length === b.length && a.every((item, i) => item === b[i]);

/**
 * Every app's own metrics are defined through {@link counter}, {@link gauge} and
 * {@link histogram}: in the process-wide default registry, the one MetricsModule
 * serves at /metrics, and once per name. A second definition of a name (tests run
 * several gateways or admitters in one process) gets the metric already there if
 * it is the same one: same kind, help text, label names (and buckets, if given).
 * Anything else is a programming error and throws, rather than two different
 * metrics sharing a name.
 */
function defineMetric<C extends Definition, M extends object>(
  kind: new (config: C) => M,
  config: C,
): M {
  const existing = register.getSingleMetric(config.name);
  if (existing === undefined) return new kind(config);
  const found = definitionOf(existing);
  if (
    !(existing instanceof kind) ||
    found.help !== config.help ||
    !sameList(found.labelNames, config.labelNames ?? []) ||
    (config.buckets !== undefined && !sameList(found.buckets ?? [], config.buckets))
  ) {
    throw new Error(
      `Metric ${config.name} is already registered as a different metric: ` +
        `${found.type} "${found.help}" [${found.labelNames.join(', ')}]`,
    );
  }
  return existing;
}

/** A counter in the default registry, served at /metrics (see {@link defineMetric}). */
export const counter = <T extends string>(
  config: Omit<CounterConfiguration<T>, 'registers'>,
): Counter<T> => defineMetric(Counter<T>, config);

/** A gauge in the default registry, served at /metrics (see {@link defineMetric}). */
export const gauge = <T extends string>(
  config: Omit<GaugeConfiguration<T>, 'registers'>,
): Gauge<T> => defineMetric(Gauge<T>, config);

/** A histogram in the default registry, served at /metrics (see {@link defineMetric}). */
export const histogram = <T extends string>(
  config: Omit<HistogramConfiguration<T>, 'registers'>,
): Histogram<T> => defineMetric(Histogram<T>, config);
