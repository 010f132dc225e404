/**
 * V8 does not count WebAssembly memories as external memory, so the garbage collector never runs
 * because of them: a caller computing grid after grid without `out` would keep every dead tensor's
 * memory (0.7 GiB each for ema 196 × 1M bars) until the process runs out. gridta therefore counts
 * the bytes of the memories it creates and runs a full collection once they pass a threshold since
 * the last one (a few ms, against hundreds of ms to fill such a memory). Memories still referenced
 * by live tensors are untouched.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export const RECLAIM_EVERY_BYTES = 1 << 30;

let collect: (() => void) | null | undefined;
let sinceCollect = 0;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') {
      collect = existing;
      return collect;
    }
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Runs a full collection now (when the collector is reachable) and restarts the byte count. */
export function collectGarbage(): void {
  sinceCollect = 0;
  collector()?.();
}

/** Call before creating a memory of `bytes`; collects garbage when enough has been allocated since the last time. */
export function reclaimBeforeAllocating(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < RECLAIM_EVERY_BYTES) return;
  sinceCollect = bytes;
  collector()?.();
}
