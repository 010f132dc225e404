/**
 * Renderings of replayed variants: the Markdown report table and the trades as JSON.
 */
import type { Trade } from './program.js';
import type { Metrics } from './metrics.js';

/** The metrics the report table shows, in order; percentages with 2 decimals, ratios with 3. */
const REPORT_COLUMNS: readonly { readonly name: keyof Metrics; readonly kind: 'pct' | 'ratio' | 'count' }[] = [
  { name: 'total_return', kind: 'pct' },
  { name: 'cagr', kind: 'pct' },
  { name: 'sharpe', kind: 'ratio' },
  { name: 'sortino', kind: 'ratio' },
  { name: 'max_drawdown', kind: 'pct' },
  { name: 'calmar', kind: 'ratio' },
  { name: 'trades', kind: 'count' },
  { name: 'win_rate', kind: 'pct' },
  { name: 'profit_factor', kind: 'ratio' },
  { name: 'exposure', kind: 'pct' },
];

function cell(x: number, kind: 'pct' | 'ratio' | 'count'): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (kind === 'count') return String(x);
  return kind === 'pct' ? `${(x * 100).toFixed(2)}%` : x.toFixed(3);
}

export interface ReportRow {
  readonly rank: number;
  readonly key: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly metrics: Metrics;
}

/** A Markdown table: rank, the key's first 12 hex characters, every param, then the report metrics. */
export function reportTableMd(rows: readonly ReportRow[], paramNames: readonly string[]): string {
  const head = ['rank', 'key', ...paramNames, ...REPORT_COLUMNS.map((c) => c.name)];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const cells = [
      String(r.rank),
      r.key.slice(0, 12),
      ...paramNames.map((p) => String(r.params[p])),
      ...REPORT_COLUMNS.map((c) => cell(r.metrics[c.name], c.kind)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Trades as a JSON array: times as ISO-8601 UTC strings, `exit_ts: null` for a trade still open. */
export function tradesJson(trades: readonly Trade[]): string {
  return JSON.stringify(
    trades.map((t) => ({
      side: t.side,
      entry_ts: new Date(t.entry_ts).toISOString(),
      entry_bar: t.entry_bar,
      entry_price: t.entry_price,
      exit_ts: t.exit_ts === null ? null : new Date(t.exit_ts).toISOString(),
      exit_bar: t.exit_bar,
      exit_price: t.exit_price,
      bars_held: t.bars_held,
      return: t.return,
      open: t.open,
    })),
  );
}
