// Pure functions turning GET /console/traffic into uPlot's data: columns of
// [x (Unix seconds), y per series...], null where a series has no value.

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Every route named in the samples, sorted (a stable order across polls). */
export function routesOf(samples) {
  const names = new Set();
  for (const s of samples) for (const r of Object.keys(s.routes || {})) names.add(r);
  return [...names].sort();
}

/**
 * Columns per route and metric. A route missing from a sample (no requests
 * then, or not yet seen) is null there, and where samples are missing (a gap
 * over 1.5 intervals) one all-null row is put in so lines do not bridge it.
 */
export function toSeries(samples, intervalMs = 2000) {
  const rows = [];
  for (const s of samples || []) {
    const prev = rows[rows.length - 1];
    if (prev && s.at - prev.at > intervalMs * 1.5) rows.push({ at: prev.at + intervalMs, routes: null, shed: null });
    rows.push(s);
  }
  const routes = routesOf(samples || []);
  const column = (pick) => routes.map((r) => rows.map((s) => (s.routes && s.routes[r] ? num(pick(s.routes[r])) : null)));
  return {
    routes,
    x: rows.map((s) => s.at / 1000),
    rps: column((r) => r.rps),
    errorRate: column((r) => r.error_rate),
    p50: column((r) => r.p50_ms),
    p99: column((r) => r.p99_ms),
    limited: column((r) => r.limited),
    shed: rows.map((s) => num(s.shed)),
  };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** The colour of the i-th route (routes are sorted, so a route keeps its colour while the set is the same). */
export const colorOf = (i) => (i < PALETTE.length ? PALETTE[i] : `hsl(${(i * 137) % 360}, 60%, 40%)`);

/** The four charts: title, unit, series (label, colour, dashed) and uPlot data. */
export function charts(series) {
  const { routes, x } = series;
  const lines = (suffix, dash) => routes.map((r, i) => ({ label: r + suffix, color: colorOf(i), dash }));
  return [
    { key: 'requests', title: 'Requests per second', unit: '/s', series: lines(''), data: [x, ...series.rps] },
    { key: 'errors', title: 'Error rate (5xx share)', unit: '%', series: lines(''), data: [x, ...series.errorRate] },
    {
      key: 'latency',
      title: 'Latency p99 (solid) and p50 (dashed)',
      unit: 'ms',
      series: [...lines(' p99', false), ...lines(' p50', true)],
      data: [x, ...series.p99, ...series.p50],
    },
    {
      key: 'limits',
      title: 'Rate-limited (429) and shed per second',
      unit: '/s',
      series: [...lines(' 429', false), { label: 'shed (gateway)', color: '#000', dash: true }],
      data: [x, ...series.limited, series.shed],
    },
  ];
}

/** The span of the charts: the gateway keeps five minutes of samples. */
export const WINDOW_SECONDS = 300;

/** A value with its unit for axes and legends. */
export function formatValue(v, unit) {
  if (v === null || v === undefined) return '—';
  if (unit === '%') return `${+(v * 100).toFixed(2)}%`;
  return `${+v.toFixed(v >= 100 ? 0 : 2)}${unit === 'ms' ? ' ms' : unit}`;
}

/** uPlot's options for a chart of `charts()`: one series per data column, y from 0. */
export function plotOptions(spec, width, height = 220) {
  const show = (u, v) => formatValue(v, spec.unit);
  return {
    title: spec.title,
    width,
    height,
    scales: {
      // The last five minutes (what the gateway keeps), even with few samples.
      x: { time: true, range: (u, min, max) => [max - WINDOW_SECONDS, max] },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    series: [
      { label: 'time', value: (u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString()) },
      ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, dash: s.dash ? [6, 4] : undefined, value: show })),
    ],
    axes: [{}, { size: 70, values: (u, ticks) => ticks.map((v) => formatValue(v, spec.unit)) }],
  };
}
