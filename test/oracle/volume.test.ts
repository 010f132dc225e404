import { describe, expect, it } from 'vitest';
import { oracleSuite } from '../helpers/oracle-suite.js';
import { zeroVolumeSuite } from '../helpers/oracle-zero-volume.js';
import { ZERO_VOLUME_RUN, zeroVolumeRuns } from '../helpers/series-volume.js';
import { referenceCmf, referenceMfi, referenceVwap } from '../../src/reference/volume.js';

oracleSuite('volume');
zeroVolumeSuite('volume');

describe('the zero-volume series reaches the guarded divisions', () => {
  const s = zeroVolumeRuns();
  const inputs = { t: s.t, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
  const late = ZERO_VOLUME_RUN.to - 1; // 2500 bars into the run: even a 2000-bar window holds only zeros

  it('vwap over a 2000-bar window is NaN at the end of the zero-volume run', () => {
    expect(referenceVwap(inputs, { window: 2000 }).vwap[late]).toBeNaN();
  });

  it('cmf over a 2000-bar window is NaN at the end of the zero-volume run', () => {
    expect(referenceCmf(inputs, { window: 2000 }).cmf[late]).toBeNaN();
  });

  it('mfi over a 2000-bar window is 100 at the end of the zero-volume run', () => {
    expect(referenceMfi(inputs, { window: 2000 }).mfi[late]).toBe(100);
  });
});
