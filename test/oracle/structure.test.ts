import { describe, expect, it } from 'vitest';
import { oracleSuite } from '../helpers/oracle-suite.js';
import { zeroVolumeSuite } from '../helpers/oracle-zero-volume.js';
import { FLAT_RUN, FLAT_START, zeroVolumeRuns } from '../helpers/series-volume.js';
import { referenceCandleStats, referenceCandleStatsAtrNorm } from '../../src/reference/structure.js';

oracleSuite('structure');
zeroVolumeSuite('structure');

describe('the flat-run series reaches the guarded divisions', () => {
  const s = zeroVolumeRuns();
  const inputs = { t: s.t, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };

  it('candle_stats.body_pct is NaN on every zero-range bar of the flat run', () => {
    const pct = referenceCandleStats(inputs).body_pct;
    for (let i = FLAT_RUN.from; i < FLAT_RUN.to; i++) expect(pct[i], `bar ${i}`).toBeNaN();
  });

  it('candle_stats_atr_norm is NaN while the ATR is exactly 0 from the first bar', () => {
    const r = referenceCandleStatsAtrNorm(inputs, { atr_window: 14 }).range_atr;
    for (let i = FLAT_START.from; i < FLAT_START.to; i++) expect(r[i], `bar ${i}`).toBeNaN();
    expect(r[FLAT_START.to], 'first bar that moves').toBeGreaterThan(0);
  });
});
