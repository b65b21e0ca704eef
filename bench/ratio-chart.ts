/**
 * BENCHMARKS.md's throughput chart: each path against the baseline it is judged by,
 * one pair of bars per row scaled to the larger of the two, with both rates and the
 * ratio written beside them. A self-contained SVG, like bench/svg-chart.ts.
 */
import { Figures } from './stack';

interface Row {
  label: string;
  value: string;
  baseline: string;
  baselineLabel: string;
}

const ROWS: Row[] = [
  {
    label: 'poll (fast path)',
    value: 'pollRps',
    baseline: 'bareRps',
    baselineLabel: 'bare Nest route',
  },
  {
    label: 'poll (fast path)',
    value: 'pollRps',
    baseline: 'rawPostRps',
    baselineLabel: 'raw node:http POST',
  },
  {
    label: 'enqueue (acks=all)',
    value: 'enqueueRps',
    baseline: 'bareRps',
    baselineLabel: 'bare Nest route',
  },
  {
    label: 'GET line state',
    value: 'lsRps',
    baseline: 'lsRawRps',
    baselineLabel: 'raw node:http GET',
  },
  {
    label: 'issue, direct',
    value: 'directPerSec',
    baseline: 'pgInsertPerSec',
    baselineLabel: 'PostgreSQL insert',
  },
  {
    label: 'issue, end to end',
    value: 'e2ePerSec',
    baseline: 'pgInsertPerSec',
    baselineLabel: 'PostgreSQL insert',
  },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderRatioChart(figures: Figures): string {
  const width = 900;
  const rowH = 46;
  const left = 300;
  const barW = 420;
  const top = 40;
  const rows = ROWS.filter((r) => Number(figures[r.value]) > 0 && Number(figures[r.baseline]) > 0);
  const height = top + rows.length * rowH + 20;
  const parts = rows.map((r, i) => {
    const v = Number(figures[r.value]);
    const b = Number(figures[r.baseline]);
    const max = Math.max(v, b);
    const y = top + i * rowH;
    const w = (x: number) => Math.max(1, Math.round((barW * x) / max));
    const pct = `${Math.round((100 * v) / b)}%`;
    return [
      `<text x="${left - 10}" y="${y + 14}" text-anchor="end" font-weight="bold">${esc(r.label)}</text>`,
      `<text x="${left - 10}" y="${y + 32}" text-anchor="end" fill="#666">vs ${esc(r.baselineLabel)}</text>`,
      `<rect x="${left}" y="${y + 3}" width="${w(v)}" height="15" fill="#0b57d0"/>`,
      `<rect x="${left}" y="${y + 21}" width="${w(b)}" height="15" fill="#bbb"/>`,
      `<text x="${left + w(v) + 6}" y="${y + 15}">${Math.round(v).toLocaleString('en')}/s</text>`,
      `<text x="${left + w(b) + 6}" y="${y + 33}" fill="#666">${Math.round(b).toLocaleString('en')}/s</text>`,
      `<text x="${width - 10}" y="${y + 24}" text-anchor="end" font-weight="bold">${pct}</text>`,
    ].join('\n');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">Throughput per path (blue) against its baseline (grey), same runs; right: the ratio of the two (of the medians when several runs)</text>
${parts.join('\n')}
</svg>
`;
}
