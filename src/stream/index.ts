/**
 * Streams: a whole grid updated one bar at a time. `push` appends a closed bar (and, on a dense
 * timeline, the holes before it) and returns the new row of every variant; `update` replaces the
 * last bar and returns its row again. Every row equals, bit for bit, the last row of a compute over
 * the history plus the bars as they stand: the WebAssembly kernels resume their exact state
 * (docs/kernel-state.md), the reference engine recomputes. `snapshot` writes everything needed to
 * continue into a checksummed document that `restoreStream` reads back.
 */
import { rename, writeFile } from 'node:fs/promises';
import { createCandles, isCandles, buildSourceSeries, type Candles, type CandlesInput } from '../candles/index.js';
import { candlesError } from '../candles/fail.js';
import { checkInstrumentId, checkTimeframe, checkTimeline } from '../candles/create.js';
import type { SeriesName } from '../candles/sources.js';
import type { Timeline } from '../candles/types.js';
import { DEFAULT_MAX_BARS, DEFAULT_MAX_HOLE_SHARE, HOLE_GUARD_MIN_BARS } from '../candles/place.js';
import { gridFail } from '../grid/axes.js';
import { tensorVariantKey } from '../grid/keys.js';
import { TIMEFRAME_MS, type Timeframe } from '../grid/timeframe.js';
import type { Axis, GridSpec } from '../grid/types.js';
import { variantIndex as gridVariantIndex, variantValues as gridVariantValues } from '../grid/index.js';
import { planCompute, type Limits } from '../guards/index.js';
import { requiredBaseSeries, seriesNeeded } from '../compute/plan.js';
import type { IndicatorTensor } from '../compute/tensor.js';
import { PROFILES, type IndicatorDef, type Profile } from '../registry/types.js';
import { GridValidationError, MissingInputSeriesError, StreamOrderError, StreamSnapshotError } from '../errors.js';
import { findUnknownKey, isPlainObject, keyList, unknownKeyExplanation } from '../options.js';
import { baseIndex, CheckedBar, checkBar, seriesMask, seriesValue, type StreamBar } from './bar.js';
import { WasmStreamCore } from './wasm.js';
import { ReferenceStreamCore } from './reference.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotHeader } from './snapshot.js';

export type { StreamBar } from './bar.js';

/** An empty history: the instrument a stream's first push starts. */
export interface StreamInstrument {
  readonly instrumentId: string;
  readonly timeframe: Timeframe | string;
  /** 'dense' (default): a gap in time is holes; 'sessions': bars may skip time. */
  readonly timeline?: Timeline;
}

export interface StreamRequest {
  /** The history (at least one bar); or give `instrument` to start from no bars. */
  readonly candles?: Candles | CandlesInput;
  readonly instrument?: StreamInstrument;
  readonly grid: GridSpec;
  /** Outputs to stream (default: all of the indicator's). */
  readonly outputs?: readonly string[];
  /** Also return the batch tensor of the history (`stream.tensor`). */
  readonly tensor?: boolean;
  /** The profile of conventions (default: the engine's). */
  readonly profile?: Profile;
}

export const STREAM_REQUEST_KEYS = keyList<StreamRequest>({
  candles: true,
  instrument: true,
  grid: true,
  outputs: true,
  tensor: true,
  profile: true,
});
const INSTRUMENT_KEYS = keyList<StreamInstrument>({ instrumentId: true, timeframe: true, timeline: true });

/** A row of every variant per output: the stream's own arrays, rewritten by the next push or update (copy what you keep). */
export type StreamRows = Readonly<Record<string, Float32Array>>;

export interface IndicatorStream {
  readonly indicatorId: string;
  readonly axes: readonly Axis[];
  readonly variants: number;
  readonly outputs: readonly string[];
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly timeline: Timeline;
  /** The profile of conventions the stream computes in (a snapshot keeps it). */
  readonly profile: Profile;
  /** tsOpen (epoch ms) of the last bar, null before the first. */
  readonly lastTs: number | null;
  /** Bars so far, holes included (the row index of the last bar is bars − 1). */
  readonly bars: number;
  /** The history's batch tensor, when the request asked for it. */
  readonly tensor: IndicatorTensor | undefined;
  push(bar: StreamBar): StreamRows;
  update(bar: StreamBar): StreamRows;
  /** The last row of one output (the primary by default). */
  row(output?: string): Float32Array;
  rows(): StreamRows;
  variantValues(v: number): Readonly<Record<string, number | string>>;
  variantIndex(values: Readonly<Record<string, number | string>>): number;
  variantKey(v: number): string;
  snapshot(): Uint8Array;
  close(): void;
}

/** What the engine lends a stream. */
export interface StreamContext {
  /** The engine that runs (after warmup) and its kernels (null on the reference engine). */
  readonly warm: () => Promise<{ engine: string; module: WebAssembly.Module | null; buildKey: string }>;
  readonly limits: Limits;
  /** The engine's profile: a stream request without one uses it. */
  readonly profile: Profile;
  readonly compute: (candles: Candles, grid: GridSpec, outputs: readonly string[], profile: Profile) => Promise<IndicatorTensor>;
  readonly version: string;
}

/** Checks the request's shape: an object, known keys, `grid` an object, exactly one of `candles` and `instrument`. */
function checkRequest(req: unknown): asserts req is StreamRequest {
  if (!isPlainObject(req))
    gridFail(
      '',
      'request',
      'wrong_type',
      req ?? null,
      'a stream request must be an object { candles | instrument, grid, ... }',
      'an object',
    );
  const unknown = findUnknownKey(req, STREAM_REQUEST_KEYS);
  if (unknown)
    gridFail('', unknown.key, 'invalid_spec', unknown.key, unknownKeyExplanation(unknown, 'a stream request'), STREAM_REQUEST_KEYS);
  if (!isPlainObject(req.grid))
    gridFail('', 'grid', 'wrong_type', req.grid ?? null, 'must be a grid spec object { indicatorId, params, ... }', 'an object');
  if ((req.candles === undefined) === (req.instrument === undefined))
    gridFail(
      '',
      'candles',
      'invalid_spec',
      null,
      'give the history as `candles`, or `instrument` to start with no bars (exactly one of them)',
      'candles or instrument',
    );
  if (req.tensor !== undefined && typeof req.tensor !== 'boolean')
    gridFail('', 'tensor', 'wrong_type', req.tensor, 'must be a boolean', 'a boolean');
  if (req.profile !== undefined && !(PROFILES as readonly unknown[]).includes(req.profile))
    gridFail('', 'profile', 'invalid_spec', req.profile ?? null, `must be one of ${PROFILES.join(', ')}`, PROFILES);
  if (req.instrument !== undefined) {
    if (!isPlainObject(req.instrument))
      gridFail('', 'instrument', 'wrong_type', req.instrument, 'must be { instrumentId, timeframe, timeline? }', 'an object');
    const u = findUnknownKey(req.instrument, INSTRUMENT_KEYS);
    if (u) gridFail('', `instrument.${u.key}`, 'invalid_spec', u.key, unknownKeyExplanation(u, 'the stream instrument'), INSTRUMENT_KEYS);
  }
}

interface Setup {
  readonly def: IndicatorDef;
  readonly axes: readonly Axis[];
  readonly variants: number;
  readonly outputs: readonly string[];
  readonly grid: GridSpec;
  readonly seriesNames: readonly SeriesName[];
  readonly required: ReturnType<typeof requiredBaseSeries>;
  /** `required` as a bit per base series (bar.ts). */
  readonly requiredMask: number;
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly timeline: Timeline;
  readonly profile: Profile;
}

function setup(
  grid: GridSpec,
  outputs: readonly string[] | undefined,
  t: number,
  limits: Limits,
  inst: { instrumentId: string; timeframe: Timeframe; timeline: Timeline },
  profile: Profile,
): Setup {
  const plan = planCompute(grid, Math.max(1, t), { outputs, layout: 'TIME_MAJOR' }, limits);
  const def = plan.grid.def;
  const axes = plan.grid.axes;
  const names = new Set<SeriesName>(seriesNeeded(def, axes));
  const required = requiredBaseSeries(def, axes);
  for (const b of required) names.add(b);
  return {
    def,
    axes,
    variants: plan.variants,
    outputs: plan.outputs,
    grid,
    seriesNames: [...names].sort(),
    required,
    requiredMask: seriesMask(required),
    ...inst,
    profile,
  };
}

/** Opens a stream: checks the request, warms the engine, replays the history through the kernels. */
export async function openStream(req: StreamRequest, ctx: StreamContext): Promise<IndicatorStream> {
  checkRequest(req);
  let candles: Candles | undefined;
  let inst: { instrumentId: string; timeframe: Timeframe; timeline: Timeline };
  if (req.candles !== undefined) {
    candles = isCandles(req.candles) ? req.candles : createCandles(req.candles as CandlesInput);
    inst = { instrumentId: candles.instrumentId, timeframe: candles.timeframe, timeline: candles.timeline };
  } else {
    const i = req.instrument!;
    inst = { instrumentId: checkInstrumentId(i.instrumentId), timeframe: checkTimeframe(i.timeframe), timeline: checkTimeline(i.timeline) };
  }
  const s = setup(req.grid, req.outputs, candles?.t ?? 0, ctx.limits, inst, req.profile ?? ctx.profile);
  if (candles) {
    const available = (['close', 'high', 'low', 'open', 'volume'] as const).filter((b) => candles![b] !== undefined);
    const missing = s.required.filter((b) => !available.includes(b));
    if (missing.length)
      throw new MissingInputSeriesError({ indicatorId: s.def.id, missing, required: [...s.required], available: [...available] });
  }
  const warm = await ctx.warm();
  const stream = new Stream(s, warm, ctx);
  if (candles) {
    const series = s.seriesNames.map((n) => buildSourceSeries(candles!, n));
    stream.replay(candles.t, (k, from, i) => series[k]![from + i]!);
    stream.setTimes(Number(candles.tsOpen[0]!), Number(candles.tsOpen[candles.t - 1]!));
    stream.holes = countHoles(candles);
    if (req.tensor) stream.tensor = await ctx.compute(candles, req.grid, s.outputs, s.profile);
  }
  return stream;
}

type Core = WasmStreamCore | ReferenceStreamCore;

class Stream implements IndicatorStream {
  readonly indicatorId: string;
  readonly axes: readonly Axis[];
  readonly variants: number;
  readonly outputs: readonly string[];
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly timeline: Timeline;
  readonly profile: Profile;
  tensor: IndicatorTensor | undefined;
  /** tsOpen of bar 0 (the grid every later bar lies on), null before the first bar. */
  origin: number | null = null;
  lastTs: number | null = null;
  /** Hole bars so far (the history's bars with no value at all, then the gaps filled on a dense timeline). */
  holes = 0;
  private closed = false;
  private readonly core: Core;
  private readonly stepMs: number;
  /** Reused per call: the checked bar, and the value of each series the kernels read. */
  private readonly bar = new CheckedBar();
  private readonly vals: Float64Array;
  private readonly baseOf: Int8Array;

  constructor(
    readonly setup: Setup,
    readonly warm: { engine: string; module: WebAssembly.Module | null; buildKey: string },
    private readonly ctx: StreamContext,
  ) {
    this.indicatorId = setup.def.id;
    this.axes = setup.axes;
    this.variants = setup.variants;
    this.outputs = setup.outputs;
    this.instrumentId = setup.instrumentId;
    this.timeframe = setup.timeframe;
    this.timeline = setup.timeline;
    this.profile = setup.profile;
    this.stepMs = TIMEFRAME_MS[setup.timeframe];
    this.vals = new Float64Array(setup.seriesNames.length);
    this.baseOf = Int8Array.from(setup.seriesNames, (n) => baseIndex(n));
    if (warm.module === null) {
      this.core = new ReferenceStreamCore(setup.def, setup.axes, setup.outputs, setup.variants, setup.seriesNames, setup.profile);
    } else {
      if (!setup.def.kernel?.resume)
        gridFail(
          setup.def.id,
          'grid.indicatorId',
          'invalid_spec',
          setup.def.id,
          `${setup.def.id} cannot stream yet: its kernel does not resume its state`,
          'a streamable indicator',
        );
      this.core = new WasmStreamCore(warm.module, setup.def, setup.axes, setup.outputs, setup.variants, setup.seriesNames, setup.profile);
    }
  }

  get bars(): number {
    return this.core.bars;
  }

  /** Feeds `t` history bars through the kernels, in calls of at most the core's call size. */
  replay(t: number, value: (s: number, from: number, i: number) => number): void {
    for (let from = 0; from < t; ) {
      const k = Math.min(this.core.callRows, t - from);
      const f = from;
      this.core.append(k, (sk, i) => value(sk, f, i), from + k === t);
      from += k;
    }
  }

  setTimes(origin: number, last: number): void {
    this.origin = origin;
    this.lastTs = last;
  }

  private live(): void {
    if (this.closed)
      throw new GridValidationError(
        { indicatorId: this.indicatorId, field: 'stream', reason: 'invalid_spec', value: 'closed', expected: 'an open stream' },
        'the stream is closed',
      );
  }

  push(bar: StreamBar): StreamRows {
    this.live();
    const b = checkBar(bar, this.indicatorId, this.setup.requiredMask, this.bar);
    this.fillValues(b);
    if (this.lastTs !== null && b.ts <= this.lastTs) throw new StreamOrderError({ call: 'push', lastTs: this.lastTs, tsOpen: b.ts });
    let holes = 0;
    if (this.origin !== null) {
      if ((b.ts - this.origin) % this.stepMs !== 0)
        throw candlesError(
          'tsOpen',
          'not_dense',
          `must lie a multiple of ${this.stepMs} ms after the stream's first bar (${this.origin})`,
          {
            value: b.ts,
            expected: `${this.origin} + k × ${this.stepMs}`,
          },
        );
      if (this.timeline === 'dense') holes = (b.ts - this.lastTs!) / this.stepMs - 1;
    }
    // the candle loaders' limits: at most maxBars bars, and past HOLE_GUARD_MIN_BARS at most maxHoleShare of them holes
    const total = this.core.bars + holes + 1;
    const allHoles = this.holes + holes;
    const tooMany = total > DEFAULT_MAX_BARS;
    if (tooMany || (holes > 0 && total >= HOLE_GUARD_MIN_BARS && allHoles / total > DEFAULT_MAX_HOLE_SHARE))
      throw candlesError(
        'tsOpen',
        'timeline_too_long',
        `the dense ${this.timeframe} timeline would have ${total} bars, ${allHoles} of them holes (${holes} before this bar): ` +
          (tooMany ? `more than maxBars=${DEFAULT_MAX_BARS}` : `more than maxHoleShare=${DEFAULT_MAX_HOLE_SHARE} holes`),
        {
          value: { bars: total, holes: allHoles, gap: holes },
          expected: { maxBars: DEFAULT_MAX_BARS, maxHoleShare: DEFAULT_MAX_HOLE_SHARE },
        },
      );
    this.core.push(holes, this.vals);
    this.holes = allHoles;
    if (this.origin === null) this.origin = b.ts;
    this.lastTs = b.ts;
    return this.core.rows;
  }

  update(bar: StreamBar): StreamRows {
    this.live();
    const b = checkBar(bar, this.indicatorId, this.setup.requiredMask, this.bar);
    this.fillValues(b);
    if (this.lastTs === null || b.ts !== this.lastTs) throw new StreamOrderError({ call: 'update', lastTs: this.lastTs, tsOpen: b.ts });
    this.core.redo(this.vals);
    return this.core.rows;
  }

  /** The value of every series the kernels read, into `vals`, all computed (and checked) before anything changes. */
  private fillValues(b: CheckedBar): void {
    const names = this.setup.seriesNames;
    for (let s = 0; s < names.length; s++) this.vals[s] = seriesValue(b, names[s]!, this.baseOf[s]!);
  }

  row(output?: string): Float32Array {
    const name = output ?? this.outputs[0]!;
    const r = this.core.rows[name];
    if (!r)
      throw new GridValidationError(
        { indicatorId: this.indicatorId, field: 'outputs', reason: 'unknown_output', value: name, expected: this.outputs },
        `${this.indicatorId} streams no output ${JSON.stringify(name)} (outputs: ${this.outputs.join(', ')})`,
      );
    return r;
  }

  rows(): StreamRows {
    return this.core.rows;
  }

  variantValues(v: number): Readonly<Record<string, number | string>> {
    return gridVariantValues(this.axes, v);
  }

  variantIndex(values: Readonly<Record<string, number | string>>): number {
    return gridVariantIndex(this.indicatorId, this.axes, values);
  }

  variantKey(v: number): string {
    return tensorVariantKey(this.setup.def, this.axes, v, this.instrumentId, this.timeframe, this.profile);
  }

  snapshot(): Uint8Array {
    this.live();
    const header: SnapshotHeader = {
      gridta: this.ctx.version,
      engine: this.warm.engine,
      build: this.warm.buildKey,
      grid: this.setup.grid,
      outputs: this.outputs,
      instrumentId: this.instrumentId,
      timeframe: this.timeframe,
      timeline: this.timeline,
      profile: this.profile,
      origin: this.origin,
      lastTs: this.lastTs,
      holes: this.holes,
    };
    return encodeSnapshot(header, this.core.exportState());
  }

  /** Continues from a decoded snapshot. */
  restore(header: SnapshotHeader, state: ReturnType<Core['exportState']>): void {
    this.origin = header.origin;
    this.lastTs = header.lastTs;
    this.holes = header.holes;
    const core = this.core as { fits(s: typeof state): boolean; importState(s: typeof state): void };
    if (!core.fits(state))
      throw new StreamSnapshotError({ reason: 'malformed' }, 'its sections do not fit the stream its header describes');
    core.importState(state);
  }

  close(): void {
    this.closed = true;
  }
}

/** Options of `restoreStream`. */
export interface RestoreStreamOptions {
  /** The profile the caller expects: a snapshot taken in another one is refused (default: the snapshot's, whatever the engine's). */
  readonly profile?: Profile;
}

export const RESTORE_STREAM_OPTION_KEYS = keyList<RestoreStreamOptions>({ profile: true });

/**
 * Reads a snapshot back into a stream that continues exactly where it was taken, in the snapshot's
 * profile: the engine's default profile never changes it, and `opts.profile` only checks it.
 */
export async function restoreStream(bytes: Uint8Array, ctx: StreamContext, opts?: RestoreStreamOptions): Promise<IndicatorStream> {
  if (opts !== undefined) {
    if (!isPlainObject(opts)) gridFail('', 'options', 'wrong_type', opts ?? null, 'must be an object { profile? }', 'an object');
    const u = findUnknownKey(opts, RESTORE_STREAM_OPTION_KEYS);
    if (u) gridFail('', u.key, 'invalid_spec', u.key, unknownKeyExplanation(u, 'the restore options'), RESTORE_STREAM_OPTION_KEYS);
    if (opts.profile !== undefined && !(PROFILES as readonly unknown[]).includes(opts.profile))
      gridFail('', 'profile', 'invalid_spec', opts.profile ?? null, `must be one of ${PROFILES.join(', ')}`, PROFILES);
  }
  const warm = await ctx.warm();
  const { header, state } = decodeSnapshot(bytes, warm);
  if (opts?.profile !== undefined && opts.profile !== header.profile)
    throw new StreamSnapshotError(
      { reason: 'other_profile', value: header.profile, expected: opts.profile },
      `it was taken in the ${header.profile} profile, not ${opts.profile} (a stream keeps its profile; open a new stream to change it)`,
    );
  const s = setup(
    header.grid,
    header.outputs,
    1,
    ctx.limits,
    {
      instrumentId: header.instrumentId,
      timeframe: header.timeframe as Timeframe,
      timeline: header.timeline as Timeline,
    },
    header.profile,
  );
  const stream = new Stream(s, warm, ctx);
  stream.restore(header, state as never);
  return stream;
}

/** Bars of the candles where no series has a value: the holes of a dense timeline. */
function countHoles(candles: Candles): number {
  const series = (['open', 'high', 'low', 'close', 'volume'] as const).map((k) => candles[k]).filter((a) => a !== undefined);
  let holes = 0;
  for (let i = 0; i < candles.t; i++) if (series.every((a) => Number.isNaN(a![i]!))) holes++;
  return holes;
}

/** Writes snapshot bytes to `path` atomically: a temporary file beside it, then a rename. */
export async function writeSnapshot(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, bytes, { flag: 'wx' });
  await rename(tmp, path);
}
