/** Outcomes of one compute request on several engines, and their bit-level comparison. */
import type { IndicatorTensor } from '../../src/compute/tensor.js';
import { GridtaError } from '../../src/errors.js';
import type { ComputeRequest, Engine } from '../../src/runtime/engine.js';
import { bits } from '../helpers/engine.js';

export type Outcome = { kind: 'tensor'; tensor: IndicatorTensor } | { kind: 'error'; error: unknown } | { kind: 'timeout'; ms: number };

/** Runs a compute, racing it with a timeout so a hang is an outcome, not a stuck test. */
export async function outcomeOf(engine: Engine, req: ComputeRequest, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout', ms: timeoutMs }), timeoutMs);
  });
  try {
    return await Promise.race([
      engine.compute(req).then(
        (tensor): Outcome => ({ kind: 'tensor', tensor }),
        (error: unknown): Outcome => ({ kind: 'error', error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(e: unknown): string {
  if (e instanceof GridtaError) return `${e.constructor.name}(${e.code}): ${e.message}`;
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

const asFloat = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;

/**
 * Null when two outcomes agree: both tensors with the same shape, variant keys and bits in every
 * output, or both GridtaErrors of the same class, code and message. Otherwise what differs.
 */
export function disagreement(a: Outcome, b: Outcome): string | null {
  if (a.kind === 'timeout' || b.kind === 'timeout') return 'a compute did not settle before the timeout';
  if (a.kind === 'error' || b.kind === 'error') {
    if (a.kind !== 'error' || b.kind !== 'error')
      return `one engine failed, the other returned a tensor: ${describeError(a.kind === 'error' ? a.error : (b as { error: unknown }).error)}`;
    if (!(a.error instanceof GridtaError) || !(b.error instanceof GridtaError))
      return `untyped error: ${describeError(a.error)} / ${describeError(b.error)}`;
    if (a.error.constructor !== b.error.constructor || a.error.code !== b.error.code || a.error.message !== b.error.message) {
      return `different errors: ${describeError(a.error)} / ${describeError(b.error)}`;
    }
    return null;
  }
  const x = a.tensor,
    y = b.tensor;
  if (x.layout !== y.layout || x.meta.t !== y.meta.t || x.meta.variants !== y.meta.variants) {
    return `different shapes: ${x.layout} ${x.meta.t}x${x.meta.variants} / ${y.layout} ${y.meta.t}x${y.meta.variants}`;
  }
  const names = (t: IndicatorTensor): string => t.outputs.map((o) => o.name).join(',');
  if (names(x) !== names(y)) return `different outputs: ${names(x)} / ${names(y)}`;
  const kx = x.variantKeys(),
    ky = y.variantKeys();
  if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return 'different variant keys';
  const T = x.meta.t,
    V = x.meta.variants;
  for (const o of x.outputs) {
    const p = bits(o.values),
      q = bits(y.output(o.name));
    if (p.length !== q.length) return `${o.name}: lengths ${p.length} / ${q.length}`;
    for (let i = 0; i < p.length; i++) {
      if (p[i] !== q[i]) {
        const [t, v] = x.layout === 'TIME_MAJOR' ? [Math.floor(i / V), i % V] : [i % T, Math.floor(i / T)];
        return `${o.name} differs at t=${t} v=${v} (${x.variantKeyPayload(v)}): 0x${p[i]!.toString(16)} (${asFloat(p[i]!)}) / 0x${q[i]!.toString(16)} (${asFloat(q[i]!)})`;
      }
    }
  }
  return null;
}
