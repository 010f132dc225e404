/**
 * Properties of bad input at the public boundary:
 * - compute with a wrong value in one to three fields anywhere in the request (candles and each of
 *   their fields, grid and each of its fields down to axis values, layout, outputs, maxVariants,
 *   batchVariants, signal, onProgress, out, unknown extra keys, the request itself) returns a promise
 *   that settles within the timeout, either with a tensor or with a GridtaError carrying a code; never
 *   a synchronous throw, a TypeError/RangeError or another untyped error. When the wrong value is in a
 *   field that cannot change the numbers (maxVariants, batchVariants, signal, onProgress, out, an extra
 *   key), a tensor must hold exactly the bits of the same request without it.
 * - createEngine with wrong option values either throws a GridtaError or gives an engine whose warmup
 *   and a small compute each settle with a result or a GridtaError.
 */
import { OPTION_KEYS as ENGINE_OPTION_KEYS } from '../../src/runtime/config.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { GridtaError } from '../../src/errors.js';
import type { AxisInput, GridSpec } from '../../src/grid/types.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { createEngine, type ComputeRequest, type Engine } from '../../src/runtime/engine.js';
import { warmEngines } from '../helpers/engine.js';
import { fill } from './candles.js';
import { describeError, disagreement, outcomeOf, type Outcome } from './compare.js';
import { DEFS } from './grids.js';
import { extraKey, getAt, junk, nearNumber, objectPathsOf, pathsOf, setAt, showPath, type Path } from './junk.js';
import { FUZZ_SEED, announce, runsOf } from './settings.js';

announce('requests', ['requests', 'options']);

const KINDS = ['wasm-simd', 'wasm-scalar', 'reference'] as const;
const TIMEOUT_MS = 20_000;
const engines = warmEngines(KINDS);
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'gridta-fuzz-'));
});

afterAll(() => {
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** FUZZ_COLLECT=1: run every case and list all distinct violations at the end, instead of stopping at (and shrinking) the first. */
const COLLECT = process.env.FUZZ_COLLECT === '1';

/** Fields whose value cannot change the numbers of a tensor. */
const NEUTRAL = new Set(['maxVariants', 'batchVariants', 'signal', 'onProgress', 'out']);

/** A small valid request: the indicator's default values (three on the first axis), one source, 60 bars (a hole at bar 7). */
function baseRequest(def: IndicatorDef, raw: boolean, rangeAxis: boolean, optional = true): Record<string, unknown> {
  const t = 60;
  const { arrays } = fill({
    t,
    seed: 5,
    style: 'walk',
    scale: 100,
    leadingNaN: 0,
    holes: [{ at: 7, len: 1, kind: 'bar' }],
    flats: [],
    zeroVolume: [],
    drop: [],
    timeline: 'direct',
  });
  const input = { instrumentId: 'fuzz:REQ', timeframe: '1m', tsOpen: Array.from({ length: t }, (_, i) => i * 60_000), ...arrays };
  const params: Record<string, AxisInput> = {};
  def.params.forEach((p, i) => {
    const d = p.default as number;
    // three values on the first axis, so the batching fields have several variants to split
    const n = i === 0 ? 3 : 1;
    const values = Array.from({ length: n }, (_, k) => Number((d + k * p.step!).toFixed(10)));
    params[p.name] = rangeAxis && i === 0 ? { mode: 'range', start: d, stopIncl: values[n - 1]!, step: p.step! } : values;
  });
  const grid: GridSpec = {
    indicatorId: def.id,
    ...(def.sourceValues ? { source: [def.sourceValues[0]!] } : {}),
    ...(def.params.length ? { params } : {}),
  };
  // the optional layout and outputs are given or left out (the defaults give the same tensor)
  return { candles: raw ? input : createCandles(input), grid, ...(optional ? { layout: 'TIME_MAJOR', outputs: [...def.outputs] } : {}) };
}

interface Mutation {
  path: Path;
  value: unknown;
  extra: boolean;
}

const caseArb = fc
  .record({
    def: fc.constantFrom(...DEFS),
    raw: fc.boolean(),
    rangeAxis: fc.boolean(),
    optional: fc.boolean(),
    engine: fc.constantFrom(...KINDS),
    picks: fc.array(
      fc.record({
        group: fc.nat(),
        root: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        at: fc.nat(),
        extra: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        key: extraKey,
        value: junk,
        near: fc.option(nearNumber, { freq: 2 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    whole: fc.oneof({ weight: 30, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  })
  .map(({ def, raw, rangeAxis, optional, engine, picks, whole }) => {
    const base = baseRequest(def, raw, rangeAxis, optional);
    // the request keys compute knows but the base leaves out, so each is reached as often as the others
    const full = {
      layout: 'TIME_MAJOR',
      outputs: [...def.outputs],
      ...base,
      maxVariants: 100,
      batchVariants: 1,
      signal: new AbortController().signal,
      onProgress: () => undefined,
      out: undefined,
    };
    // a top-level field first, then a path inside it, so the many paths into the candles do not crowd out the rest
    const groups = Object.keys(full).map((k) => ({
      paths: pathsOf(full[k as keyof typeof full], 5, [k]).concat([[k]]),
      objects: objectPathsOf(full[k as keyof typeof full], 5, [k]),
    }));
    const objectsAll: Path[] = [[], ...groups.flatMap((g) => g.objects)];
    const mutations: Mutation[] = picks.map((p) => {
      if (p.extra) return { path: [...objectsAll[p.at % objectsAll.length]!, p.key], value: p.value, extra: true };
      const g = groups[p.group % groups.length]!;
      // the field itself a third of the time, else any path inside it
      const path = p.root ? g.paths[g.paths.length - 1]! : g.paths[p.at % g.paths.length]!;
      // a numeric field gets a near-miss number half the time
      const numeric = typeof getAt(full, path) === 'number';
      return { path, value: numeric && p.near !== null ? p.near : p.value, extra: false };
    });
    if (whole) mutations.splice(0, mutations.length, { path: [], value: picks[0]!.value, extra: false });
    // only the small description is the generated value, so a counterexample prints in a few lines
    return { def: def.id, raw, rangeAxis, optional, engine, mutations };
  });

/** The request of a case: the base request with each wrong value put in place. */
function materialise(c: { def: string; raw: boolean; rangeAxis: boolean; optional: boolean; engine: string; mutations: Mutation[] }) {
  const base = baseRequest(DEFS.find((d) => d.id === c.def)!, c.raw, c.rangeAxis, c.optional);
  let req: unknown = base;
  for (const m of c.mutations) req = setAt(req, m.path, m.value);
  const neutral = c.mutations.every((m) => (m.extra ? m.path.length === 1 : m.path.length >= 1 && NEUTRAL.has(m.path[0] as string)));
  return { ...c, base, req, neutral };
}

/** What a case did, for the failure message. */
function show(c: { def: string; engine: string; mutations: Mutation[] }): string {
  return `${c.def} on ${c.engine}: ${c.mutations.map((m) => `${showPath(m.path)}${m.extra ? ' (extra key)' : ''} = ${showValue(m.value)}`).join('; ')}`;
}

function showValue(v: unknown): string {
  return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 6, maxStringLength: 40 });
}

/** Violations seen in one run, by field and error (the run continues to collect them all). */
const found = new Map<string, { count: number; examples: string[] }>();
const seen = { cases: 0, tensors: 0, typed: new Map<string, number>(), options: 0, optionEngines: 0, optionComputes: 0 };

afterAll(() => {
  const typed = [...seen.typed]
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  console.log(`fuzz requests: ${seen.cases} cases (shrinking included), ${seen.tensors} tensors, typed errors: ${typed || 'none'}`);
  if (found.size) {
    console.log(
      `fuzz requests: ${found.size} distinct violations (field: error -> count, first example):\n` +
        [...found]
          .sort((a, b) => b[1].count - a[1].count)
          .map(([k, v]) => `  ${k} -> ${v.count}x, e.g. ${v.examples.join(' | ')}`)
          .join('\n'),
    );
  }
});

/** Checks one outcome; returns a violation ("field: error") or null. */
async function violation(c: {
  engine: string;
  base: unknown;
  req: unknown;
  neutral: boolean;
  mutations: Mutation[];
}): Promise<string | null> {
  const e = engines.get(c.engine)!;
  let p: Promise<unknown>;
  try {
    p = e.compute(c.req as ComputeRequest);
  } catch (err) {
    return `synchronous throw: ${describeError(err)}`;
  }
  if (!(p instanceof Promise)) return `compute returned ${showValue(p)}, not a promise`;
  const o = await outcomeOf({ compute: () => p } as unknown as Engine, c.req as ComputeRequest, TIMEOUT_MS);
  if (o.kind === 'timeout') return `no result or error after ${TIMEOUT_MS} ms`;
  if (o.kind === 'error') {
    const err = o.error;
    if (!(err instanceof GridtaError) || typeof err.code !== 'string' || err.code === '')
      return describeError(err).split('\n')[0]!.slice(0, 160);
    seen.typed.set(err.code, (seen.typed.get(err.code) ?? 0) + 1);
    return null;
  }
  seen.tensors++;
  if (c.neutral) {
    const want: Outcome = await outcomeOf(e, c.base as ComputeRequest, TIMEOUT_MS);
    const d = disagreement(want, o);
    if (d !== null) return `a tensor unlike the same request without the wrong value: ${d}`;
  }
  return null;
}

describe('fuzz: wrong values in every field give a typed error or a correct result', () => {
  it(`compute requests with wrong values (seed ${FUZZ_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (described) => {
        seen.cases++;
        const c = materialise(described);
        const v = await violation(c);
        if (v === null) return;
        if (!COLLECT) throw new Error(`${show(c)} -> ${v}`);
        // attribute the violation to a single wrong value when one alone reproduces it
        let culprit = c,
          why = v;
        if (c.mutations.length > 1) {
          for (const m of c.mutations) {
            const single = materialise({ ...described, mutations: [m] });
            const w = await violation(single);
            if (w !== null) {
              culprit = single;
              why = w;
              break;
            }
          }
        }
        const field = culprit.mutations
          .map((m) => showPath(m.path).replace(/\[\d+\]/g, '[i]') + (m.extra ? ' (extra key)' : ''))
          .join(' + ');
        const key = `${field}: ${why
          .replace(/: \S+ differs at .*/, ': values differ')
          .replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, 'N')
          .slice(0, 140)}`;
        const f = found.get(key);
        if (f) {
          f.count++;
          if (f.examples.length < 3) f.examples.push(show(culprit));
        } else found.set(key, { count: 1, examples: [show(culprit)] });
      }),
      { seed: FUZZ_SEED, numRuns: runsOf('requests') },
    );
    if (found.size) throw new Error(`${found.size} distinct violations (listed above)`);
  }, 3_600_000);

  it(`createEngine options with wrong values (seed ${FUZZ_SEED})`, async () => {
    const bad = new Map<string, { count: number; examples: string[] }>();
    await fc.assert(
      fc.asyncProperty(optionsArb, async (c) => {
        seen.options++;
        const v = await optionsViolation(c.options);
        if (v === null) return;
        const what = c.whole
          ? `createEngine(${showValue(c.options)})`
          : `createEngine ${c.mutations.map((m) => `${m.key} = ${showValue(m.value)}`).join('; ')}`;
        if (!COLLECT) throw new Error(`${what} -> ${v}`);
        const key = `${c.whole ? '(the whole options)' : c.mutations.map((m) => m.key).join(' + ')}: ${v.replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').slice(0, 140)}`;
        const f = bad.get(key);
        if (f) {
          f.count++;
          if (f.examples.length < 3) f.examples.push(what);
        } else bad.set(key, { count: 1, examples: [what] });
      }),
      { seed: FUZZ_SEED, numRuns: runsOf('options') },
    );
    console.log(
      `fuzz options: ${seen.options} cases, ${seen.optionEngines} engines created, ${seen.optionComputes} computes returned a tensor`,
    );
    if (bad.size) {
      console.log(
        `fuzz options: ${bad.size} distinct violations:\n${[...bad].map(([k, x]) => `  ${k} -> ${x.count}x, e.g. ${x.examples.join(' | ')}`).join('\n')}`,
      );
      throw new Error(`${bad.size} distinct violations (listed above)`);
    }
  }, 3_600_000);
});

/**
 * The public options of createEngine, from the list the engine checks against (so a new option is
 * fuzzed too), less the three that locate files or stand in for the machine (cwd, cgroupRoot,
 * osAvailableParallelism): their wrong values are covered by the config tests.
 */
const OPTION_KEYS = ENGINE_OPTION_KEYS.filter((k) => !['cwd', 'cgroupRoot', 'osAvailableParallelism'].includes(k));

/** A wrong option value; thread counts the 2-core machine cannot run are turned into a non-integer. */
const optionValue = (key: string): fc.Arbitrary<unknown> =>
  junk.map((v) => (key === 'threads' && typeof v === 'number' && Number.isInteger(v) && v > 2 && v <= 256 ? v + 0.5 : v));

const optionsArb = fc
  .array(
    fc
      .record({ key: fc.oneof(fc.constantFrom(...OPTION_KEYS), extraKey) })
      .chain(({ key }) => optionValue(key).map((value) => ({ key: key as string, value }))),
    { minLength: 1, maxLength: 2 },
  )
  .chain((mutations) =>
    fc
      .oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk.filter((v) => v !== undefined) })
      .map((whole) => {
        const options: Record<string, unknown> = { env: 'test', engine: 'wasm-simd', threads: 1, onWarning: () => undefined };
        for (const m of mutations)
          Object.defineProperty(options, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        // the whole options replaced by a wrong value (undefined is a valid "no options")
        return whole === undefined ? { mutations, options, whole: false } : { mutations: [], options: whole, whole: true };
      }),
  );

async function optionsViolation(options: unknown): Promise<string | null> {
  let engine: Engine;
  try {
    // relative paths (cacheDir, configPath) resolve in a scratch directory; a non-object is passed as is
    engine = createEngine(
      (typeof options === 'object' && options !== null && !Array.isArray(options) ? { ...options, cwd } : options) as never,
    );
  } catch (err) {
    return err instanceof GridtaError && err.code ? null : `createEngine threw ${describeError(err)}`;
  }
  seen.optionEngines++;
  try {
    const settle = async (what: string, p: () => Promise<unknown>): Promise<string | null> => {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        p().then(
          () => null,
          (err: unknown) => (err instanceof GridtaError && err.code ? null : `${what} rejected with ${describeError(err)}`),
        ),
        new Promise<string>((res) => {
          timer = setTimeout(() => res(`${what} did not settle in ${TIMEOUT_MS} ms`), TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      return r;
    };
    const req = baseRequest(DEFS.find((d) => d.id === 'ma.sma')!, false, false) as unknown as ComputeRequest;
    return (
      (await settle('warmup', () => engine.warmup())) ??
      (await settle('compute', () =>
        engine.compute(req).then(() => {
          seen.optionComputes++;
        }),
      ))
    );
  } finally {
    await engine.close();
  }
}
