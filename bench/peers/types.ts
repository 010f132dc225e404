/**
 * One adapter per peer library, all with this signature. An adapter calls its library
 * the way the library's documentation shows, one call per variant; `prepare` builds the inputs the
 * library wants (number arrays, candle objects) once, outside the timed region; `run` returns the
 * library's own result untouched (its cost is part of the call), and `extract` turns that result
 * into gridta's output names for the agreement check only (never timed).
 */

/** The candles every library gets: the same float32 values (read as numbers where an API wants them). */
export interface PeerCandles {
  readonly t: number;
  readonly open?: Float32Array;
  readonly high?: Float32Array;
  readonly low?: Float32Array;
  readonly close: Float32Array;
  readonly volume?: Float32Array;
}

/** A series as a peer returns it: shorter than T (warm-up dropped, aligned to the end), holes as null/undefined. */
export type PeerSeries = ArrayLike<number | null | undefined>;

export interface PeerAdapter<I = unknown> {
  /** npm package name. */
  readonly name: string;
  readonly version: string;
  /** Native addon (opt-in, installed by `npm run bench:native` into bench/native/). */
  readonly native?: boolean;
  supports(caseId: string): boolean;
  /** Null when the variant can be computed; otherwise why not (e.g. a fixed band multiplier). */
  unsupportedVariant?(caseId: string, params: Readonly<Record<string, number>>): string | null;
  prepare(candles: PeerCandles): I;
  /** One variant, as documented; the result is dropped by the caller before the next variant. */
  run(caseId: string, params: Readonly<Record<string, number>>, inputs: I): unknown;
  /** gridta output name -> the peer's series for it (the outputs the peer has). */
  extract(caseId: string, result: unknown): Readonly<Record<string, PeerSeries | undefined>>;
  /** The convention that makes this peer's values differ from gridta's, where one is known. */
  readonly conventions?: Readonly<Record<string, string>>;
}

/** A peer that could not be loaded, reported as skipped. */
export interface PeerUnavailable {
  readonly name: string;
  readonly native?: boolean;
  readonly reason: string;
}

/** number[] copy of a float32 series (exact values), for APIs that take plain arrays. */
export const toNumbers = (x: Float32Array | undefined, name = 'series'): number[] => {
  if (!x) throw new Error(`the candles have no ${name} series`);
  return Array.from(x);
};

/** The `window` param every single-window case has. */
export const win = (p: Readonly<Record<string, number>>): number => p.window!;

/** Picks one field of an array of result objects. */
export function field<K extends string>(rows: ArrayLike<Partial<Record<K, number | undefined>> | undefined>, key: K): number[] {
  const out = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]?.[key];
    out[i] = typeof v === 'number' ? v : NaN;
  }
  return out;
}
