import { Counter, Gauge, Histogram, register } from 'prom-client';
import { counter, definitionOf, gauge, histogram, MetricsController } from './metrics';

// Each case uses names of its own and removes them, so the process-wide registry
// (the one /metrics serves) holds nothing from here once a case is done.
const names: string[] = [];
const named = (name: string): string => {
  names.push(name);
  return name;
};
afterEach(() => names.splice(0).forEach((name) => register.removeSingleMetric(name)));

describe('counter, gauge, histogram', () => {
  it('registers each metric in the default registry, served at /metrics as defined', async () => {
    const c = counter({ name: named('t_jobs_total'), help: 'Jobs done', labelNames: ['line'] });
    const g = gauge({ name: named('t_depth'), help: 'Depth now' });
    const h = histogram({
      name: named('t_seconds'),
      help: 'Time taken',
      labelNames: ['kind'],
      buckets: [0.1, 1],
    });
    expect(c).toBeInstanceOf(Counter);
    expect(g).toBeInstanceOf(Gauge);
    expect(h).toBeInstanceOf(Histogram);
    c.inc({ line: 'A0001' }, 2);
    g.set(7);
    h.observe({ kind: 'poll' }, 0.5);

    expect(register.getSingleMetric('t_jobs_total')).toBe(c);
    const text = await new MetricsController().metrics();
    expect(text).toContain('# HELP t_jobs_total Jobs done\n# TYPE t_jobs_total counter\n');
    expect(text).toContain('t_jobs_total{line="A0001"} 2\n');
    expect(text).toContain('# HELP t_depth Depth now\n# TYPE t_depth gauge\nt_depth 7\n');
    expect(text).toContain('# TYPE t_seconds histogram\n');
    expect(text).toContain('t_seconds_bucket{le="0.1",kind="poll"} 0\n');
    expect(text).toContain('t_seconds_bucket{le="1",kind="poll"} 1\n');
    expect(text).toContain('t_seconds_count{kind="poll"} 1\n');
  });

  it('gives a second definition of the same metric the first one, values and all', () => {
    const definition = { name: named('t_shared_total'), help: 'Shared', labelNames: ['line'] };
    const first = counter(definition);
    first.inc({ line: 'A0001' });
    const second = counter({ ...definition, labelNames: ['line'] });
    expect(second).toBe(first);
    const g = { name: named('t_shared_gauge'), help: 'Shared gauge' };
    expect(gauge(g)).toBe(gauge(g));
    const h = { name: named('t_shared_seconds'), help: 'Shared histogram', buckets: [1] };
    expect(histogram(h)).toBe(histogram(h));
  });

  it('refuses a different metric under a name already taken, and keeps the first', () => {
    const first = counter({ name: named('t_taken_total'), help: 'Taken', labelNames: ['line'] });
    expect(() => gauge({ name: 't_taken_total', help: 'Taken', labelNames: ['line'] })).toThrow(
      /t_taken_total is already registered as a different metric: counter "Taken" \[line\]/,
    );
    expect(() => counter({ name: 't_taken_total', help: 'Other', labelNames: ['line'] })).toThrow(
      /already registered/,
    );
    expect(() => counter({ name: 't_taken_total', help: 'Taken', labelNames: ['kind'] })).toThrow(
      /already registered/,
    );
    expect(() => counter({ name: 't_taken_total', help: 'Taken' })).toThrow(/already registered/);
    expect(() =>
      counter({ name: 't_taken_total', help: 'Taken', labelNames: ['line', 'kind'] }),
    ).toThrow(/already registered/);
    expect(register.getSingleMetric('t_taken_total')).toBe(first);

    const h = { name: named('t_taken_seconds'), help: 'Taken', buckets: [0.1, 1] };
    expect(histogram(h)).toBe(histogram({ ...h, buckets: [0.1, 1] }));
    expect(histogram({ name: h.name, help: h.help })).toBe(histogram(h));
    expect(() => histogram({ ...h, buckets: [0.1, 2] })).toThrow(/already registered/);
  });
});

describe('definitionOf', () => {
  it("tells a metric's kind, name, help, labels and buckets", () => {
    const c = counter({ name: named('t_def_total'), help: 'Def', labelNames: ['line', 'kind'] });
    expect(definitionOf(c)).toEqual({
      type: 'counter',
      name: 't_def_total',
      help: 'Def',
      labelNames: ['line', 'kind'],
    });
    const h = histogram({ name: named('t_def_seconds'), help: 'Def', buckets: [0.5, 1] });
    expect(definitionOf(h)).toEqual({
      type: 'histogram',
      name: 't_def_seconds',
      help: 'Def',
      labelNames: [],
      buckets: [0.5, 1],
    });
  });
});
