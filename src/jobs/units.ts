/**
 * Units of a job (pure): a job's grid is split, per instrument, into contiguous ranges of variants
 * in the cartesian variant order (first axis slowest); a range is computed as a few cartesian sub-grids whose
 * variants are contiguous in that order, so a unit's results carry the full grid's variant indices.
 */
import { JobInputError } from '../errors.js';
import type { Axis, AxisSpec, GridSpec } from '../grid/types.js';
import { findUnknownKey, isPlainObject, unknownKeyExplanation } from '../options.js';

/**
 * A job request or option object of the jobs API: an object whose keys are all in `known`;
 * JobInputError (`invalid_spec`) naming the key and the closest known one otherwise.
 */
export function checkJobInputKeys(obj: unknown, known: readonly string[], where: string): void {
  if (!isPlainObject(obj))
    throw new JobInputError(
      { field: 'request', reason: 'invalid_spec', value: obj ?? null, expected: 'an object' },
      `${where} must be an object`,
    );
  const unknown = findUnknownKey(obj, known);
  if (unknown) {
    throw new JobInputError(
      { field: unknown.key, reason: 'invalid_spec', value: unknown.key, expected: [...known] },
      unknownKeyExplanation(unknown, where),
    );
  }
}

/** One unit: instrument `instrument` (index into the job's files), variants `[start, end)`. */
export interface UnitRange {
  readonly index: number;
  readonly instrument: number;
  readonly start: number;
  readonly end: number;
}

/** A cartesian block of a range: variants `[start, end)` of the full grid, equal to the block grid's `0..end-start`. */
export interface CartesianBlock {
  readonly start: number;
  readonly end: number;
  readonly axes: readonly Axis[];
}

/** `unit_variants: auto`: about 2^23 output values per unit (T · variants · outputs), at least one variant. */
export const AUTO_UNIT_VALUES = 2 ** 23;

export function autoUnitVariants(t: number, outputs: number): number {
  return Math.max(1, Math.floor(AUTO_UNIT_VALUES / (Math.max(1, t) * Math.max(1, outputs))));
}

/** Units of every instrument in order: instrument 0's ranges first, each range at most `unitVariants` long. */
export function planUnits(instruments: number, variants: number, unitVariants: number): UnitRange[] {
  const out: UnitRange[] = [];
  for (let i = 0; i < instruments; i++) {
    for (let v0 = 0; v0 < variants; v0 += unitVariants) {
      out.push({ index: out.length, instrument: i, start: v0, end: Math.min(variants, v0 + unitVariants) });
    }
  }
  return out;
}

function strides(axes: readonly Axis[]): number[] {
  const s = new Array<number>(axes.length).fill(1);
  for (let k = axes.length - 2; k >= 0; k--) s[k] = s[k + 1]! * axes[k + 1]!.values.length;
  return s;
}

const pick = (a: Axis, from: number, to: number): Axis => ({
  name: a.name,
  kind: a.kind,
  values: (a.values as readonly (number | string)[]).slice(from, to) as readonly number[] | readonly string[],
});

/**
 * Splits variants `[start, end)` of the grid with `axes` into at most `2 · axes.length - 1` cartesian
 * blocks, in variant order: leading axes fixed to one value, one axis a contiguous run of its values,
 * the trailing axes whole. The block grids enumerate exactly the range, in order.
 */
export function cartesianBlocks(axes: readonly Axis[], start: number, end: number): CartesianBlock[] {
  const n = axes.length;
  const total = axes.reduce((p, a) => p * a.values.length, 1);
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= total && start < end)) {
    throw new RangeError(`variant range must satisfy 0 <= start < end <= ${total} (got ${start}, ${end})`);
  }
  if (n === 0) return [{ start, end, axes: [] }];
  const st = strides(axes);
  const out: CartesianBlock[] = [];
  const block = (fixed: readonly number[], k: number, from: number, to: number, base: number): void => {
    const blockAxes = axes.map((a, j) => (j < k ? pick(a, fixed[j]!, fixed[j]! + 1) : j === k ? pick(a, from, to) : a));
    out.push({ start: base + from * st[k]!, end: base + to * st[k]!, axes: blockAxes });
  };
  // [lo, hi) relative to the sub-space of axes k.. whose first variant has full index `base`
  const walk = (fixed: number[], k: number, base: number, lo: number, hi: number): void => {
    const s = st[k]!;
    const len = axes[k]!.values.length;
    if (lo === 0 && hi === len * s) {
      block(fixed, k, 0, len, base);
      return;
    }
    let i0 = Math.floor(lo / s);
    const i1 = Math.floor((hi - 1) / s);
    if (i0 === i1 && (lo % s !== 0 || hi % s !== 0)) {
      walk([...fixed, i0], k + 1, base + i0 * s, lo - i0 * s, hi - i0 * s);
      return;
    }
    if (lo % s !== 0) {
      walk([...fixed, i0], k + 1, base + i0 * s, lo - i0 * s, s);
      i0++;
    }
    const tail = hi % s !== 0;
    const lastFull = tail ? i1 - 1 : i1;
    if (lastFull >= i0) block(fixed, k, i0, lastFull + 1, base);
    if (tail) walk([...fixed, i1], k + 1, base + i1 * s, 0, hi - i1 * s);
  };
  walk([], 0, 0, start, end);
  return out;
}

/** An explicit grid spec with exactly these axes (values in order), as a worker computes it. */
export function explicitGrid(indicatorId: string, axes: readonly Axis[]): GridSpec {
  const params: Record<string, AxisSpec> = {};
  let source: AxisSpec | undefined;
  for (const a of axes) {
    const spec: AxisSpec = { mode: 'explicit', values: [...(a.values as readonly (number | string)[])] };
    if (a.kind === 'source') source = spec;
    else params[a.name] = spec;
  }
  return { indicatorId, ...(source ? { source } : {}), params };
}

/** Instrument ids as file-name parts: letters, digits, `.`, `_`, `-`; anything else percent-encoded. */
export function fileSafe(id: string): string {
  return id
    .replace(/[^A-Za-z0-9._-]/g, (c) =>
      [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    )
    .replace(/^\./, '%2E');
}

/**
 * The content key of a unit's file: job, instrument (index and id) and variant range. A re-run of
 * the unit writes the same name with the same bytes.
 */
export function unitFileName(jobId: string, instrument: number, instrumentId: string, start: number, end: number): string {
  return `${jobId}.i${instrument}-${fileSafe(instrumentId)}.v${start}-${end}.arrow`;
}

/** Where unfinished files live: a hidden directory inside `--out`, never read by `collect`. */
export const TEMP_DIR = '.tmp';
