/**
 * Stream benchmark cases: a grid updated one bar at a time.
 * - stream.ema: the 196-variant ma.ema grid (windows 5..200) after a 10,000-bar history, then one push
 *   per bar: gridta's stream against trading-signals (196 `EMA` objects, `add` per bar, its
 *   documented streaming API) and a plain-JS loop updating 196 EMA states per bar. The values are
 *   checked before timing (the plain loop bit for bit, trading-signals within 1e-4 relative once its
 *   different seeding has settled).
 * - stream.mixed: one stream per indicator case of the bench that can stream (its bench grid), all
 *   pushed the same bar: time per bar for all of them.
 * - stream.update: the stream.ema grid, ten updates of the forming bar before each push: time per
 *   update, and against a push.
 * The pushed bars are the dataset's valid bars, one minute apart (its holes left out), so no library
 * sees a gap. Each bar's call is timed alone; rounds of bars alternate the libraries; p50 and p99.
 */
import { createCandles, type Candles } from '../src/candles/index.js';
import type { Engine } from '../src/runtime/engine.js';
import type { IndicatorStream, StreamBar } from '../src/stream/index.js';
import { registry } from '../src/registry/index.js';
import { packageVersion } from '../src/runtime/paths.js';
import { CASE_TABLE } from './cases.js';

export const STREAM_CASE_IDS: readonly string[] = ['stream.ema', 'stream.mixed', 'stream.update'];

const HISTORY = 10_000;
const PUSHES = 100_000;
const ROUNDS = 10;
const UPDATES = 10;
const REL_TOLERANCE = 1e-4;

export interface StreamRow {
  readonly library: string;
  readonly family: 'gridta' | 'peer' | 'plain';
  /** What one timed call does. */
  readonly unit: string;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly calls: number;
}

export interface StreamCaseResult {
  readonly id: string;
  readonly label: string;
  readonly rows: readonly StreamRow[];
  readonly agreement: string;
  readonly notes: readonly string[];
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function row(library: string, family: StreamRow['family'], unit: string, samples: number[]): StreamRow {
  const s = Float64Array.from(samples).sort();
  return { library, family, unit, p50Us: quantile(s, 0.5) * 1000, p99Us: quantile(s, 0.99) * 1000, calls: s.length };
}

/** The dataset's valid bars (every series present and the bar consistent), re-timed one minute apart. */
function validBars(candles: Candles, max: number): StreamBar[] {
  const { open, high, low, close, volume } = candles;
  const out: StreamBar[] = [];
  const t0 = Number(candles.tsOpen[0]!);
  for (let i = 0; i < candles.t && out.length < max; i++) {
    const o = open?.[i] ?? close[i]!;
    const h = high?.[i] ?? Math.max(o, close[i]!);
    const l = low?.[i] ?? Math.min(o, close[i]!);
    const c = close[i]!;
    const v = volume?.[i] ?? 0;
    if (![o, h, l, c, v].every(Number.isFinite) || h < l || l < 0 || v < 0 || h < Math.max(o, c) || l > Math.min(o, c)) continue;
    out.push({ tsOpen: t0 + out.length * 60_000, open: o, high: h, low: l, close: c, volume: v });
  }
  return out;
}

function historyCandles(bars: readonly StreamBar[]): Candles {
  const col = (k: 'open' | 'high' | 'low' | 'close' | 'volume'): number[] => bars.map((b) => b[k] as number);
  return createCandles({
    instrumentId: 'bench:stream',
    timeframe: '1m',
    tsOpen: bars.map((b) => Number(b.tsOpen)),
    open: col('open'),
    high: col('high'),
    low: col('low'),
    close: col('close'),
    volume: col('volume'),
  });
}

const EMA_GRID = {
  indicatorId: 'ma.ema',
  source: ['close'],
  params: { window: { mode: 'range' as const, start: 5, stopIncl: 200, step: 1 } },
};
const WINDOWS = Array.from({ length: 196 }, (_, i) => 5 + i);

/** 196 EMA states per bar, in gridta's operations (the first value seeds, y = a·x + (1 − a)·y), float64. */
class PlainEmas {
  y = new Float64Array(WINDOWS.length).fill(Number.NaN);
  a = Float64Array.from(WINDOWS, (w) => 2 / (w + 1));
  b = Float64Array.from(this.a, (a) => 1 - a);
  out = new Float32Array(WINDOWS.length);
  push(x: number): Float32Array {
    const { y, a, b, out } = this;
    for (let j = 0; j < y.length; j++) {
      const v = Number.isNaN(y[j]!) ? x : a[j]! * x + b[j]! * y[j]!;
      y[j] = v;
      out[j] = v;
    }
    return out;
  }
}

export interface StreamCtx {
  readonly candles: Candles;
  readonly engine: Engine;
  readonly log: (s: string) => void;
}

/** The case's bars: a history, then the pushes (fewer on a short dataset). */
function split(ctx: StreamCtx): { history: StreamBar[]; pushes: StreamBar[] } {
  const bars = validBars(ctx.candles, HISTORY + PUSHES);
  const h = Math.min(HISTORY, Math.floor(bars.length / 2));
  return { history: bars.slice(0, h), pushes: bars.slice(h) };
}

async function streamEma(ctx: StreamCtx, updates: boolean): Promise<StreamCaseResult> {
  const { history, pushes } = split(ctx);
  const ts = await import('trading-signals');
  const stream = await ctx.engine.stream({ candles: historyCandles(history), grid: EMA_GRID });
  const peers = WINDOWS.map((w) => new ts.EMA(w));
  const plain = new PlainEmas();
  for (const b of history) {
    for (const e of peers) e.add(b.close);
    plain.push(b.close);
  }
  const g: number[] = [],
    p: number[] = [],
    q: number[] = [],
    u: number[] = [],
    pu: number[] = [];
  // an update of the forming bar: its close moved by k·0.01 % (the high and low widened to hold it), the
  // tenth the bar as it closed, so every library ends each bar on the same values
  const forming = (prev: StreamBar, k: number): StreamBar => {
    if (k === UPDATES) return prev;
    const c = prev.close * (1 + k * 1e-4);
    return { ...prev, close: c, high: Math.max(prev.high!, c), low: Math.min(prev.low!, c) };
  };
  const per = Math.ceil(pushes.length / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const from = r * per;
    const part = pushes.slice(from, from + per);
    part.forEach((b, i) => {
      if (updates) {
        const prev = from + i > 0 ? pushes[from + i - 1]! : history[history.length - 1]!;
        for (let k = 1; k <= UPDATES; k++) {
          const bar = forming(prev, k);
          const t0 = performance.now();
          stream.update(bar);
          u.push(performance.now() - t0);
        }
      }
      const t0 = performance.now();
      stream.push(b);
      g.push(performance.now() - t0);
    });
    part.forEach((b, i) => {
      if (updates) {
        const prev = from + i > 0 ? pushes[from + i - 1]! : history[history.length - 1]!;
        for (let k = 1; k <= UPDATES; k++) {
          const x = forming(prev, k).close;
          const t0 = performance.now();
          for (const e of peers) e.replace(x);
          pu.push(performance.now() - t0);
        }
      }
      const t0 = performance.now();
      for (const e of peers) e.add(b.close);
      p.push(performance.now() - t0);
    });
    for (const b of part) {
      const t0 = performance.now();
      plain.push(b.close);
      q.push(performance.now() - t0);
    }
  }
  // agreement: each bar's last update restored it as it closed, so with updates too the rows are those of the pushes alone
  const row0 = stream.row();
  let exact = true;
  let worst = 0;
  for (let j = 0; j < WINDOWS.length; j++) {
    if (row0[j] !== plain.out[j]) exact = false;
    const want = Number(peers[j]!.getResult());
    worst = Math.max(worst, Math.abs(row0[j]! - want) / Math.max(1e-12, Math.abs(want)));
  }
  stream.close();
  const tsVersion = packageVersion('trading-signals');
  const agreement =
    (exact ? 'the plain loop bit for bit; ' : 'the plain loop DIFFERS; ') +
    (worst <= REL_TOLERANCE
      ? `trading-signals within ${worst.toExponential(1)} relative`
      : `trading-signals DIFFERS (${worst.toExponential(1)} relative)`);
  if (!exact || worst > REL_TOLERANCE) throw new Error(`stream.${updates ? 'update' : 'ema'}: ${agreement}`);
  const rows: StreamRow[] = updates
    ? [
        row('gridta stream.update, 1 thread', 'gridta', 'update (196 variants)', u),
        row('gridta stream.push, 1 thread', 'gridta', 'push (196 variants)', g),
        row(`trading-signals ${tsVersion} (196 × EMA.replace)`, 'peer', 'update (196 objects)', pu),
      ]
    : [
        row('gridta stream.push, 1 thread', 'gridta', 'push (196 variants)', g),
        row(`trading-signals ${tsVersion} (196 × EMA.add)`, 'peer', 'bar (196 objects)', p),
        row('plain JS loop (196 EMA states)', 'plain', 'bar (196 states)', q),
      ];
  return {
    id: updates ? 'stream.update' : 'stream.ema',
    label: `ma.ema, windows 5..200 (196 variants); ${history.length.toLocaleString('en-US')}-bar history, ${pushes.length.toLocaleString('en-US')} pushes${updates ? `, ${UPDATES} updates before each` : ''}`,
    rows,
    agreement,
    notes: [],
  };
}

async function streamMixed(ctx: StreamCtx): Promise<StreamCaseResult> {
  const { history, pushes } = split(ctx);
  const candles = historyCandles(history);
  const streams: IndicatorStream[] = [];
  const notes: string[] = [];
  let variants = 0;
  for (const c of CASE_TABLE) {
    const def = registry.get(c.id);
    if (!def.kernel?.resume) {
      notes.push(`${c.id}: not streamable yet (its kernel does not resume its state)`);
      continue;
    }
    const s = await ctx.engine.stream({ candles, grid: c.grid });
    streams.push(s);
    variants += s.variants;
  }
  const g: number[] = [];
  for (const b of pushes) {
    const t0 = performance.now();
    for (const s of streams) s.push(b);
    g.push(performance.now() - t0);
  }
  for (const s of streams) s.close();
  return {
    id: 'stream.mixed',
    label: `${streams.map((s) => s.indicatorId).join(', ')} (their bench grids, ${variants} variants in all); ${pushes.length.toLocaleString('en-US')} pushes`,
    rows: [row(`gridta, ${streams.length} streams, 1 thread`, 'gridta', `bar (${streams.length} pushes)`, g)],
    agreement: 'every stream ≡ compute is the property test (test/fuzz/stream.test.ts)',
    notes,
  };
}

export async function runStreamCase(ctx: StreamCtx, id: string): Promise<StreamCaseResult> {
  if (id === 'stream.ema') return streamEma(ctx, false);
  if (id === 'stream.update') return streamEma(ctx, true);
  return streamMixed(ctx);
}

export function renderStreamCase(r: StreamCaseResult): string[] {
  const out = ['', `${r.id} — ${r.label}`];
  const head = `${'library'.padEnd(52)} ${'per call'.padEnd(26)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${'× gridta'.padStart(9)}`;
  out.push(head, '-'.repeat(head.length));
  const g = r.rows[0]!.p50Us;
  for (const x of r.rows)
    out.push(
      `${x.library.padEnd(52)} ${x.unit.padEnd(26)} ${x.p50Us.toFixed(2).padStart(9)} ${x.p99Us.toFixed(2).padStart(9)} ${(x.p50Us / g).toFixed(2).padStart(8)}×`,
    );
  out.push(`  agreement: ${r.agreement}`);
  for (const n of r.notes) out.push(`  ${n}`);
  return out;
}
