/** Supported timeframes and their bar durations. */

export type Timeframe = '1m' | '5m' | '15m' | '1h' | '4h' | '1d';

export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = Object.freeze({
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
});

/** Trims and lower-cases; returns null for anything unsupported. */
export function normalizeTimeframe(value: unknown): Timeframe | null {
  if (typeof value !== 'string') return null;
  const tf = value.trim().toLowerCase();
  return Object.hasOwn(TIMEFRAME_MS, tf) ? (tf as Timeframe) : null;
}

/** The timeframe whose step is `ms`, or null. */
export function timeframeOfStep(ms: number): Timeframe | null {
  for (const [tf, step] of Object.entries(TIMEFRAME_MS)) if (step === ms) return tf as Timeframe;
  return null;
}
