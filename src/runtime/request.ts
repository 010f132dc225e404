/**
 * The boundary checks of the engine's entry points: the compute request as a whole (its shape, every
 * field's type, unknown keys), before any candle is converted, any grid materialised or any wasm
 * touched. Each failure is a GridValidationError naming the field and the value; the deeper rules
 * (grid axes, output names, guards, candle contents) stay with their own modules.
 */
import { gridFail, checkLayout } from '../grid/axes.js';
import { checkMaxVariants } from '../guards/index.js';
import { findUnknownKey, isPlainObject, keyList, unknownKeyExplanation } from '../options.js';
import type { ComputeRequest } from './engine.js';
import { registry } from '../registry/index.js';
import { PROFILES } from '../registry/types.js';

/** The fields of a compute request, in the order they are checked. */
export const COMPUTE_REQUEST_KEYS = keyList<ComputeRequest>({
  candles: true,
  grid: true,
  layout: true,
  outputs: true,
  maxVariants: true,
  batchVariants: true,
  signal: true,
  onProgress: true,
  out: true,
  profile: true,
});

/** The registry id a raw grid names, or '' when it names none (only labels errors). */
function gridId(grid: unknown): string {
  const id = isPlainObject(grid) ? grid.indicatorId : undefined;
  return typeof id === 'string' && registry.has(id) ? registry.get(id).id : '';
}

/** Absent, or a positive safe integer: the batch size a request asks for. */
export function checkBatchVariants(indicatorId: string, value: unknown): void {
  if (value === undefined) return;
  const expected = 'a positive safe integer';
  if (typeof value !== 'number')
    gridFail(indicatorId, 'batchVariants', 'wrong_type', value, 'must be a number of variants per batch', expected);
  if (!Number.isFinite(value)) gridFail(indicatorId, 'batchVariants', 'non_finite', value, 'must be a finite number', expected);
  if (!Number.isSafeInteger(value))
    gridFail(indicatorId, 'batchVariants', 'not_integer', value, 'must be a whole number of variants', expected);
  if (value < 1) gridFail(indicatorId, 'batchVariants', 'below_min', value, 'must be at least 1', expected);
}

/** Shaped like an AbortSignal: what the compute paths read (`aborted`, `reason`) and subscribe to. */
function isSignalLike(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  return typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/**
 * Checks a compute request field by field: a plain object with known keys only; `grid` an object;
 * `candles` an object (gridta Candles or a createCandles input); `layout`, `outputs`, `maxVariants`,
 * `batchVariants`, `signal`, `onProgress` and `out` of their types when given. Throws the first failure.
 */
export function checkComputeRequest(req: unknown): void {
  if (!isPlainObject(req)) {
    gridFail('', 'request', 'wrong_type', req ?? null, 'a compute request must be an object { candles, grid, ... }', 'an object');
  }
  const id = gridId(req.grid);
  const unknown = findUnknownKey(req, COMPUTE_REQUEST_KEYS);
  if (unknown)
    gridFail(id, unknown.key, 'invalid_spec', unknown.key, unknownKeyExplanation(unknown, 'the compute request'), COMPUTE_REQUEST_KEYS);
  if (!isPlainObject(req.grid)) {
    gridFail(
      id,
      'grid',
      'invalid_spec',
      req.grid ?? null,
      'must be a grid spec object { indicatorId, source?, params?, layout? }',
      'an object',
    );
  }
  if (typeof req.candles !== 'object' || req.candles === null || Array.isArray(req.candles)) {
    gridFail(id, 'candles', 'wrong_type', req.candles ?? null, 'must be gridta Candles (createCandles or a loader)', 'Candles');
  }
  if (req.layout !== undefined) checkLayout(id, req.layout);
  const outputs = req.outputs;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) gridFail(id, 'outputs', 'wrong_type', outputs, 'must be an array of output names', 'an array of strings');
    outputs.forEach((o: unknown, i) => {
      if (typeof o !== 'string') gridFail(id, `outputs[${i}]`, 'wrong_type', o ?? null, 'must be an output name', 'a string');
    });
  }
  checkMaxVariants(id, req.maxVariants);
  checkBatchVariants(id, req.batchVariants);
  if (req.signal !== undefined && !isSignalLike(req.signal)) {
    gridFail(id, 'signal', 'wrong_type', req.signal, 'must be an AbortSignal', 'an AbortSignal');
  }
  if (req.onProgress !== undefined && typeof req.onProgress !== 'function') {
    gridFail(id, 'onProgress', 'wrong_type', req.onProgress, 'must be a function', 'a function');
  }
  if (req.out !== undefined && (typeof req.out !== 'object' || req.out === null)) {
    gridFail(id, 'out', 'wrong_type', req.out, 'must be a tensor returned by an earlier compute', 'an IndicatorTensor');
  }
  if (req.profile !== undefined && !(PROFILES as readonly unknown[]).includes(req.profile)) {
    gridFail(id, 'profile', 'invalid_spec', req.profile ?? null, `must be one of ${PROFILES.join(', ')}`, PROFILES);
  }
}
