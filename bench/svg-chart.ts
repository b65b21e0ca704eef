/** One sample of the swarm phase, taken every few hundred milliseconds. */
export interface ChartSample {
  /** Seconds since the phase began. */
  t: number;
  lineLength: number;
  admissionsPerSec: number;
  pollsPerSec: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A self-contained SVG (no browser, no chart library): three panels over one
 * time axis (line length, admissions/s, polls/s), each scaled to its own max.
 */
export function renderChart(title: string, samples: ChartSample[]): string {
  const width = 900;
  const panelH = 150;
  const left = 80;
  const right = 20;
  const top = 40;
  const gap = 40;
  const series: { key: keyof ChartSample; label: string; color: string }[] = [
    { key: 'lineLength', label: 'line length (tickets waiting)', color: '#1f77b4' },
    { key: 'admissionsPerSec', label: 'admissions / s', color: '#2ca02c' },
    { key: 'pollsPerSec', label: 'polls / s', color: '#d62728' },
  ];
  const height = top + series.length * (panelH + gap) + 10;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number) => left + ((width - left - right) * t) / tMax;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  series.forEach((s, i) => {
    const y0 = top + i * (panelH + gap);
    const max = Math.max(1, ...samples.map((p) => Number(p[s.key])));
    const y = (v: number) => y0 + panelH - (panelH * v) / max;
    const points = samples
      .map((p) => `${x(p.t).toFixed(1)},${y(Number(p[s.key])).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panelH}" fill="none" stroke="#ccc"/>`,
      `<text x="${left + 6}" y="${y0 + 14}" fill="${s.color}">${esc(s.label)}</text>`,
      `<text x="${left - 6}" y="${y0 + 10}" text-anchor="end">${Math.round(max)}</text>`,
      `<text x="${left - 6}" y="${y0 + panelH}" text-anchor="end">0</text>`,
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`,
      `<text x="${width - right}" y="${y0 + panelH + 14}" text-anchor="end">${tMax.toFixed(1)} s</text>`,
      `<text x="${left}" y="${y0 + panelH + 14}">0 s</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
