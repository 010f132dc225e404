/**
 * Property: for a random grid of any registry indicator over random candles (holes, flat runs, zero
 * volume, extreme and negative magnitudes, signed zeros, leading NaNs, missing series, dense and
 * sessions timelines), wasm-simd, wasm-scalar and the reference engine (threads 1) give bit-identical
 * tensors, or all three fail with the same GridtaError (class, code and message). No compute may hang.
 * A second property runs grids over 2^20 output values through a threads-2 pooled engine (variant
 * batches or time pieces) and checks them against the reference and the in-process SIMD engine.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candles } from '../../src/candles/index.js';
import { createEngine, type ComputeRequest, type Engine } from '../../src/runtime/engine.js';
import type { AxisInput, GridSpec } from '../../src/grid/types.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { warmEngines } from '../helpers/engine.js';
import { buildCandles, candleRecipe, type CandleRecipe } from './candles.js';
import { describeError, disagreement, outcomeOf, type Outcome } from './compare.js';
import { DEFS, gridCase, type GridCase } from './grids.js';
import { FUZZ_SEED, announce, runsOf } from './settings.js';

announce('engines', ['engines', 'pooled']);

const KINDS = ['reference', 'wasm-simd', 'wasm-scalar'] as const;
const TIMEOUT_MS = 60_000;
const engines = warmEngines(KINDS);
let pooled: Engine;

beforeAll(async () => {
  pooled = createEngine({ env: 'test', engine: 'wasm-simd', threads: 2, onWarning: () => undefined });
  await pooled.warmup();
}, 120_000);

afterAll(async () => {
  await pooled?.close();
});

/** FUZZ_COLLECT=1: run every case and list the distinct mismatches at the end, instead of stopping at (and shrinking) the first. */
const COLLECT = process.env.FUZZ_COLLECT === '1';
const mismatches = new Map<string, { count: number; example: string }>();

/** What the runs covered, printed at the end. */
const seen = {
  cases: 0,
  disagreed: 0,
  tensors: 0,
  errors: new Map<string, number>(),
  ids: new Set<string>(),
  values: 0,
  pooled: 0,
  threads2: 0,
};
afterAll(() => {
  const errs = [...seen.errors]
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  console.log(
    `fuzz engines: ${seen.cases} cases (${seen.cases * 3} computes), ${seen.tensors} agreed on tensors (${seen.values} output values per engine), ${seen.disagreed} disagreed, ` +
      `errors: ${errs || 'none'}; ${seen.ids.size}/${DEFS.length} indicators; pooled: ${seen.pooled} cases, ${seen.threads2} ran on 2 threads`,
  );
});

interface Case extends GridCase {
  recipe: CandleRecipe;
}

const caseArb: fc.Arbitrary<Case> = fc
  .constantFrom(...DEFS)
  .chain((def) => candleRecipe(3000).chain((recipe) => gridCase(def, recipe.t).map((g) => ({ ...g, recipe }))));

/** Builds candles; a recipe the candles validation refuses yields that error for every engine. */
async function candlesOrError(r: CandleRecipe): Promise<Candles | { error: unknown }> {
  try {
    return await buildCandles(r);
  } catch (error) {
    return { error };
  }
}

function requestOf(c: GridCase, candles: Candles): ComputeRequest {
  return {
    candles,
    grid: c.grid,
    layout: c.layout,
    ...(c.outputs ? { outputs: c.outputs } : {}),
    ...(c.batchVariants !== undefined ? { batchVariants: c.batchVariants } : {}),
    ...(c.maxVariants !== undefined ? { maxVariants: c.maxVariants } : {}),
  };
}

function tally(o: Outcome): void {
  if (o.kind === 'tensor') {
    seen.tensors++;
    seen.values += o.tensor.meta.t * o.tensor.meta.variants * o.tensor.outputs.length;
  } else if (o.kind === 'error') count(o.error);
}

function count(e: unknown): void {
  const x = e as { code?: string; details?: { reason?: string; field?: string } };
  const code = `${x.code ?? (e as Error).constructor?.name}${x.details?.reason ? `/${x.details.reason}` : ''}`;
  seen.errors.set(code, (seen.errors.get(code) ?? 0) + 1);
}

describe('fuzz: engines agree bit for bit or fail alike', () => {
  it(`random grids x random candles through reference, wasm-simd and wasm-scalar (seed ${FUZZ_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        seen.cases++;
        seen.ids.add(c.grid.indicatorId);
        const candles = await candlesOrError(c.recipe);
        if ('error' in candles) {
          // only the candles validation may refuse a recipe, and only with a typed error
          expect(describeError(candles.error)).toMatch(/^CandlesValidationError\(candles_invalid\)/);
          count(candles.error);
          return;
        }
        const req = requestOf(c, candles);
        const outcomes: Outcome[] = [];
        for (const k of KINDS) outcomes.push(await outcomeOf(engines.get(k)!, req, TIMEOUT_MS));
        let agreed = true;
        for (let i = 1; i < KINDS.length; i++) {
          const d = disagreement(outcomes[0]!, outcomes[i]!);
          if (d === null) continue;
          agreed = false;
          if (!COLLECT) throw new Error(`reference vs ${KINDS[i]}: ${d}`);
          const src = typeof c.grid.source === 'string' ? c.grid.source : Array.isArray(c.grid.source) ? c.grid.source.join('|') : '';
          const key = `${c.grid.indicatorId} reference vs ${KINDS[i]}: ${d
            .replace(/ \(\{.*?\}\)/, '')
            .replace(/t=\d+ v=\d+/, 't=? v=?')
            .replace(/\(-?[\d.e+-]+\)/g, '(?)')}`;
          const f = mismatches.get(key);
          const example = `${JSON.stringify({ grid: c.grid, layout: c.layout, batchVariants: c.batchVariants, recipe: c.recipe })} -> ${d.replace(/ \(\{.*?\}\)/, '')} [sources ${src}]`;
          if (f) f.count++;
          else mismatches.set(key, { count: 1, example });
        }
        if (outcomes[0]!.kind === 'error') {
          const e = (outcomes[0] as { error: unknown }).error;
          if (!(e instanceof Error && 'code' in e)) throw new Error(`untyped error from every engine: ${describeError(e)}`);
        }
        if (agreed) tally(outcomes[0]!);
        else seen.disagreed++;
      }),
      { seed: FUZZ_SEED, numRuns: runsOf('engines') },
    );
    if (mismatches.size) {
      console.log(
        `fuzz engines: ${mismatches.size} distinct mismatches:\n${[...mismatches].map(([k, x]) => `  ${k} -> ${x.count}x, e.g. ${x.example}`).join('\n')}`,
      );
      throw new Error(`${mismatches.size} distinct mismatches (listed above)`);
    }
  }, 3_600_000);

  it(`grids over 2^20 output values through a threads-2 pooled engine (seed ${FUZZ_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(pooledCaseArb, async (c) => {
        seen.pooled++;
        const candles = await buildCandles(c.recipe);
        const req = requestOf(c, candles);
        const want = await outcomeOf(engines.get('reference')!, req, TIMEOUT_MS);
        const got = await outcomeOf(pooled, req, TIMEOUT_MS);
        const simd = await outcomeOf(engines.get('wasm-simd')!, req, TIMEOUT_MS);
        const d = disagreement(want, got) ?? disagreement(want, simd);
        if (d !== null) throw new Error(`pooled: ${d}`);
        if (got.kind === 'tensor' && got.tensor.meta.threads === 2) seen.threads2++;
      }),
      { seed: FUZZ_SEED, numRuns: runsOf('pooled') },
    );
    // the sizes are chosen so that every case runs on the pool
    expect(seen.threads2).toBe(runsOf('pooled'));
  }, 3_600_000);
});

/** Definitions with an int axis: their grids can be made wide enough for the pool. */
const WIDE_DEFS = DEFS.filter((d) => d.params.some((p) => p.kind === 'int'));

/**
 * A grid whose first int axis is a range wide enough that T·V·K >= 2^20 (the pool threshold), the
 * other axes at one value; batches automatic (variant batches or time pieces) or a few variants each.
 */
const pooledCaseArb: fc.Arbitrary<Case> = fc.constantFrom(...WIDE_DEFS).chain((def: IndicatorDef) =>
  fc
    .record({
      t: fc.integer({ min: 1500, max: 3000 }),
      seed: fc.integer(),
      holes: fc.array(
        fc.record({ at: fc.integer({ min: 0, max: 1499 }), len: fc.integer({ min: 1, max: 30 }), kind: fc.constant('bar' as const) }),
        { maxLength: 3 },
      ),
      layout: fc.constantFrom('TIME_MAJOR' as const, 'VARIANT_MAJOR' as const),
      batchVariants: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 64 })),
      source: fc.constantFrom(...(def.sourceValues ?? ['close'])),
      step: fc.constantFrom(1, 1, 2),
    })
    .map((x): Case => {
      const wide = def.params.find((p) => p.kind === 'int')!;
      const k = def.outputs.length;
      const n = Math.ceil(2 ** 20 / (x.t * k)) + 3;
      const params: Record<string, AxisInput> = {};
      for (const p of def.params) {
        params[p.name] =
          p === wide ? { mode: 'range', start: p.min!, stopIncl: p.min! + (n - 1) * x.step, step: x.step } : [p.default as number];
      }
      const grid: GridSpec = { indicatorId: def.id, ...(def.sourceValues ? { source: [x.source] } : {}), params };
      const recipe: CandleRecipe = {
        t: x.t,
        seed: x.seed,
        style: 'walk',
        scale: 100,
        leadingNaN: 0,
        holes: x.holes,
        flats: [],
        zeroVolume: [],
        drop: [],
        timeline: 'direct',
      };
      return { grid, layout: x.layout, recipe, ...(x.batchVariants !== undefined ? { batchVariants: x.batchVariants } : {}) };
    }),
);
