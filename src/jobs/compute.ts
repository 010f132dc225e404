/**
 * One unit's values: variants `[start, end)` of a job's grid on one instrument, computed with the
 * local engine in batches of variants, each batch as the few cartesian sub-grids of its range
 * (units.ts). Between batches `between` may stop the unit (lease lost, job cancelled, shutdown).
 */
import type { Candles } from '../candles/index.js';
import type { EngineKind } from '../compute/run.js';
import { variantValues } from '../grid/axes.js';
import type { Axis } from '../grid/types.js';
import { tensorVariantKey } from '../grid/keys.js';
import { DEFAULT_PROFILE, type IndicatorDef, type Profile } from '../registry/types.js';
import type { Engine } from '../runtime/engine.js';
import { checkBatchVariants } from '../runtime/request.js';
import { cartesianBlocks, checkJobInputKeys, explicitGrid } from './units.js';
import { keyList } from '../options.js';

export interface UnitComputeInput {
  readonly engine: Engine;
  readonly def: IndicatorDef;
  /** The job's full grid. */
  readonly axes: readonly Axis[];
  readonly outputs: readonly string[];
  readonly candles: Candles;
  readonly start: number;
  readonly end: number;
  /** The job's profile (default: the default profile, never the engine's: a job computes what its spec says). */
  readonly profile?: Profile;
  /** Variants per batch (default: a quarter of the unit, at least 1). */
  readonly batchVariants?: number;
  /** Awaited before every batch but the first; throw to stop the unit there. */
  readonly between?: (batchesDone: number) => Promise<void>;
  /** After each batch, with its compute time. */
  readonly onBatch?: (ms: number, batchesDone: number) => Promise<void> | void;
}

export interface UnitComputeResult {
  /** Per output, `(end - start) · T` floats, variant-major. */
  readonly values: Float32Array[];
  readonly keys: string[];
  readonly engine: EngineKind;
  readonly batches: number;
}

/** The keys of UnitComputeInput. */
export const UNIT_COMPUTE_KEYS = keyList<UnitComputeInput>({
  engine: true,
  def: true,
  axes: true,
  outputs: true,
  candles: true,
  start: true,
  end: true,
  profile: true,
  batchVariants: true,
  between: true,
  onBatch: true,
});

export async function computeUnitValues(u: UnitComputeInput): Promise<UnitComputeResult> {
  checkJobInputKeys(u, UNIT_COMPUTE_KEYS, 'the computeUnitValues input');
  checkBatchVariants(u.def?.id ?? '', u.batchVariants);
  const T = u.candles.t;
  const n = u.end - u.start;
  const values = u.outputs.map(() => new Float32Array(n * T));
  const keys = new Array<string>(n);
  const bv = u.batchVariants ?? Math.max(1, Math.ceil(n / 4));
  const profile = u.profile ?? DEFAULT_PROFILE;
  let engine: EngineKind = 'reference';
  let batches = 0;
  for (let b0 = u.start; b0 < u.end; b0 += bv) {
    if (b0 > u.start && u.between) await u.between(batches);
    const b1 = Math.min(u.end, b0 + bv);
    const t0 = performance.now();
    for (const blk of cartesianBlocks(u.axes, b0, b1)) {
      const tensor = await u.engine.compute({
        candles: u.candles,
        grid: explicitGrid(u.def.id, blk.axes),
        layout: 'VARIANT_MAJOR',
        outputs: u.outputs,
        profile,
      });
      const m = blk.end - blk.start;
      const want = variantValues(u.axes, blk.start);
      const got = tensor.variantValues(0);
      if (tensor.meta.variants !== m || Object.keys(want).some((k) => want[k] !== got[k])) {
        throw new Error(
          `block ${blk.start}..${blk.end - 1} computed ${tensor.meta.variants} variants starting at ${JSON.stringify(got)}, not ${JSON.stringify(want)}`,
        );
      }
      // same-type copies keep every bit pattern (NaNs included)
      u.outputs.forEach((name, k) => {
        values[k]!.set(tensor.output(name), (blk.start - u.start) * T);
      });
      // the keys of the job's grid in its profile (a block's variant j is the grid's variant blk.start + j)
      for (let j = 0; j < m; j++)
        keys[blk.start - u.start + j] = tensorVariantKey(
          u.def,
          u.axes,
          blk.start + j,
          tensor.meta.instrumentId,
          tensor.meta.timeframe,
          profile,
        );
      engine = tensor.meta.engine;
    }
    batches++;
    await u.onBatch?.(performance.now() - t0, batches);
  }
  return { values, keys, engine, batches };
}
