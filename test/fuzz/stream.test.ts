/**
 * Property: a stream's rows are the last rows of a compute. For a random streamable indicator and
 * grid, a random history (none at all, or up to a few hundred bars with holes, flat bars and zero
 * volume, on a dense or a sessions timeline) and a random sequence of pushes (some after a gap in
 * time, which a dense timeline fills with holes), updates of the last bar, snapshot/restore round
 * trips and bad bars, on wasm-simd, wasm-scalar and the reference engine: after every push and update,
 * every output's row equals, bit for bit, the last row of `engine.compute` over the history plus the
 * bars as they stand; every bad bar is refused with a typed error and changes nothing (the next row
 * still equals the compute's).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { GridtaError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import type { GridSpec } from '../../src/grid/types.js';
import type { IndicatorStream, StreamBar } from '../../src/stream/index.js';
import { registry } from '../../src/registry/index.js';
import { warmEngines } from '../helpers/engine.js';
import { prng } from '../helpers/series.js';
import { gridCase } from './grids.js';
import { FUZZ_SEED, announce, runsOf } from './settings.js';

announce('stream', ['stream']);

const KINDS = ['wasm-simd', 'wasm-scalar', 'reference'] as const;
const engines = warmEngines(KINDS);
const STREAMABLE = registry.list().filter((d) => d.kernel?.resume);
const STEP = 60_000;
const T0 = 1_700_000_040_000;

type Op =
  | { kind: 'push'; gap: number }
  | { kind: 'update' }
  | { kind: 'snapshot' }
  | { kind: 'bad'; how: 'nan' | 'high_low' | 'older' | 'negative' | 'unknown_key' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Op>({ kind: 'push', gap: 0 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }).map((gap): Op => ({ kind: 'push', gap })) },
  { weight: 1, arbitrary: fc.integer({ min: 4, max: 1500 }).map((gap): Op => ({ kind: 'push', gap })) },
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'update' }) },
  { weight: 2, arbitrary: fc.constant<Op>({ kind: 'snapshot' }) },
  { weight: 2, arbitrary: fc.constantFrom('nan', 'high_low', 'older', 'negative', 'unknown_key').map((how): Op => ({ kind: 'bad', how })) },
);

interface Case {
  id: string;
  grid: GridSpec;
  history: number;
  /** Rows of the history that are holes (dense) or skipped times (sessions). */
  holes: number[];
  timeline: 'dense' | 'sessions';
  seed: number;
  ops: Op[];
}

const caseArb = (def: (typeof STREAMABLE)[number]): fc.Arbitrary<Case> =>
  fc.record({
    id: fc.constant(def.id),
    grid: gridCase(def, 200, { maxSmall: 40, maxVariantsArb: false }).map((g) => g.grid),
    history: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 300 })),
    holes: fc.array(fc.integer({ min: 0, max: 299 }), { maxLength: 12 }),
    timeline: fc.constantFrom<('dense' | 'sessions')[]>('dense', 'sessions'),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    ops: fc.array(opArb, { minLength: 1, maxLength: 24 }),
  });

/** The bars as they stand: times and the five series (holes as NaN rows on a dense timeline). */
class Tape {
  ts: number[] = [];
  cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[] };
  add(ts: number, bar: Omit<StreamBar, 'tsOpen'> | null): void {
    this.ts.push(ts);
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) this.cols[k].push(bar ? (bar[k] as number) : NaN);
  }
  set(bar: Omit<StreamBar, 'tsOpen'>): void {
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) this.cols[k][this.ts.length - 1] = bar[k] as number;
  }
  candles(timeline: 'dense' | 'sessions') {
    return createCandles({ instrumentId: 'fuzz:S', timeframe: '1m', timeline, tsOpen: this.ts, ...this.cols });
  }
}

/** A valid bar from the generator: a positive walk, sometimes flat, sometimes zero volume. */
function barMaker(seed: number): (ts: number) => StreamBar {
  const rnd = prng(seed);
  let p = 50 + rnd() * 100;
  return (tsOpen) => {
    const o = p;
    p = Math.max(0.5, p + (rnd() - 0.5) * 3);
    if (rnd() < 0.1) return { tsOpen, open: p, high: p, low: p, close: p, volume: 0 };
    return {
      tsOpen,
      open: o,
      high: Math.max(o, p) + rnd(),
      low: Math.max(0, Math.min(o, p) - rnd()),
      close: p,
      volume: rnd() < 0.15 ? 0 : Math.floor(rnd() * 1000),
    };
  };
}

const u32 = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Null when the stream's rows are the last rows of a compute over the tape. */
/** Rows compared per indicator id (a case whose grid the engine refuses compares none). */
const compared = new Map<string, number>();

async function compare(engine: Engine, c: Case, tape: Tape, s: IndicatorStream, what: string): Promise<string | null> {
  compared.set(c.id, (compared.get(c.id) ?? 0) + 1);
  const t = await engine.compute({ candles: tape.candles(c.timeline), grid: c.grid, layout: 'TIME_MAJOR' });
  const T = t.meta.t;
  const V = t.meta.variants;
  if (V !== s.variants || V < 1 || T !== tape.ts.length)
    return `${what}: the compute has ${V} variants × ${T} bars, the stream ${s.variants} × ${tape.ts.length}`;
  for (const name of s.outputs) {
    const want = u32(t.output(name).subarray((T - 1) * V, T * V));
    const got = u32(s.row(name));
    for (let v = 0; v < V; v++) {
      if (got[v] !== want[v])
        return `${what}: ${c.id} ${name} variant ${v} (${s.variantKey(v)}) at bar ${T - 1}: stream 0x${got[v]!.toString(16)} vs compute 0x${want[v]!.toString(16)}`;
    }
  }
  return null;
}

async function runCase(kind: (typeof KINDS)[number], c: Case): Promise<string | null> {
  const engine = engines.get(kind)!;
  const bar = barMaker(c.seed);
  const tape = new Tape();
  const holes = new Set(c.holes);
  let ts = T0;
  for (let i = 0; i < c.history; i++) {
    if (holes.has(i) && i > 0 && i < c.history - 1) {
      if (c.timeline === 'dense') tape.add(ts, null);
      ts += STEP;
      if (c.timeline === 'dense') continue;
    }
    const b = bar(ts);
    const { tsOpen: _t, ...rest } = b;
    tape.add(ts, rest);
    ts += STEP;
  }
  let s: IndicatorStream;
  try {
    s =
      c.history > 0
        ? await engine.stream({ candles: tape.candles(c.timeline), grid: c.grid })
        : await engine.stream({ instrument: { instrumentId: 'fuzz:S', timeframe: '1m', timeline: c.timeline }, grid: c.grid });
  } catch (e) {
    // a grid the engine refuses: refused the same way by compute (with one bar when there is no history)
    if (!(e instanceof GridtaError)) return `stream(): not a GridtaError: ${String(e)}`;
    if (tape.ts.length === 0) tape.add(T0, null);
    const other = await engine.compute({ candles: tape.candles(c.timeline), grid: c.grid }).then(
      () => null,
      (x: unknown) => x,
    );
    if (!(other instanceof GridtaError) || other.code !== e.code || other.message !== e.message)
      return `stream() refused with ${e.code}: ${e.message}; compute gave ${other instanceof Error ? other.message : 'a tensor'}`;
    return null;
  }
  if (c.history > 0) {
    const d = await compare(engine, c, tape, s, 'history');
    if (d) return d;
  }
  let k = 0;
  for (const op of c.ops) {
    k++;
    const where = `op ${k} ${JSON.stringify(op)} (${kind})`;
    const last = tape.ts.length ? tape.ts[tape.ts.length - 1]! : null;
    if (op.kind === 'push') {
      const at = last === null ? ts : last + (op.gap + 1) * STEP;
      if (c.timeline === 'dense' && last !== null) for (let g = 1; g <= op.gap; g++) tape.add(last + g * STEP, null);
      const b = bar(at);
      s.push(b);
      const { tsOpen: _t, ...rest } = b;
      tape.add(at, rest);
    } else if (op.kind === 'update') {
      if (last === null) {
        const e = catchError(() => s.update(bar(ts)));
        if (!(e instanceof GridtaError) || e.code !== 'stream_order') return `${where}: update of an empty stream gave ${String(e)}`;
        continue;
      }
      const b = bar(last);
      s.update(b);
      const { tsOpen: _t, ...rest } = b;
      tape.set(rest);
    } else if (op.kind === 'snapshot') {
      s = await engine.restoreStream(s.snapshot());
      if (last === null) continue;
    } else {
      const base = bar(last === null ? ts : last + STEP);
      const wrong: Record<string, unknown> = { ...base };
      if (op.how === 'nan') wrong.close = NaN;
      else if (op.how === 'high_low') wrong.high = (base.low as number) - 1;
      else if (op.how === 'negative') wrong.low = -1;
      else if (op.how === 'unknown_key') wrong.clsoe = 1;
      else wrong.tsOpen = last === null ? ts : last - STEP;
      if (op.how === 'older' && last === null) continue;
      const e = catchError(() => s.push(wrong as unknown as StreamBar));
      if (!(e instanceof GridtaError)) return `${where}: a bad bar was not refused with a GridtaError (${String(e)})`;
      continue;
    }
    const d = await compare(engine, c, tape, s, where);
    if (d) return d;
  }
  return null;
}

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('streams equal computes (property)', () => {
  it('every indicator streams', () => {
    expect(STREAMABLE.length).toBe(registry.list().length);
  });
  // every id gets its share of the cases (at least two), so each run covers all of them
  const perId = Math.max(2, Math.ceil(runsOf('stream') / STREAMABLE.length));
  for (const def of STREAMABLE) {
    it(`${def.id}: every row after pushes, updates, restores and refused bars is the last row of a compute, on all three engines`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb(def), async (c) => {
          for (const kind of KINDS) {
            const d = await runCase(kind, c);
            if (d) throw new Error(d);
          }
        }),
        { seed: FUZZ_SEED, numRuns: perId, endOnFailure: true },
      );
      expect(compared.get(def.id) ?? 0, `${def.id}: no case reached a comparison`).toBeGreaterThan(0);
    }, 600_000);
  }
});
