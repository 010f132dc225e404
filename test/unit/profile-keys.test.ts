/**
 * The profile in variant keys, tensor meta and the Arrow export: a profile other than the default is
 * part of the key payload (`"profile":"talib"` between instrument_id and schema_version), so the same
 * grid keys differently in the two profiles, while a default-profile key is byte-identical to one
 * without a profile (the v1 test vectors of keys.test.ts do not move). `gridta.profile` closes the
 * Arrow metadata only for a non-default profile.
 */
import { describe, expect, it } from 'vitest';
import { tensorToArrow } from '../../src/arrow/export.js';
import { materializeGrid, tensorVariantKey, tensorVariantKeyPayload, variantKeyPayloadV1, variantKeyV1 } from '../../src/grid/index.js';
import { registry } from '../../src/registry/index.js';
import { gridDetails } from '../helpers/errors.js';
import { makeTensor } from './tensor-fixture.js';

const SMA36 = { indicatorId: 'ma.sma', source: 'close', params: { window: 36 } };
const sel = { instrumentId: '1:BTCUSDT', timeframe: '1m', indicators: [SMA36] };

describe('variant keys and the profile', () => {
  it('names a non-default profile in the payload; the default profile keys as before', () => {
    expect(variantKeyPayloadV1({ ...sel, profile: 'talib' })).toBe(
      '{"indicators":[{"id":"ma.sma","inputs":[["source","close"]],"params":[["window",36]]}],"instrument_id":"1:BTCUSDT","profile":"talib","schema_version":1,"timeframe":"1m"}',
    );
    // keys.test.ts's test vector for ma.sma close 36, with the default profile named or not
    const v1 = '18fef2c6d92a7f3eaaa8c183353cd6d4f4827cd0b1a800cb91e06bbcb976d80e';
    expect(variantKeyV1(sel)).toBe(v1);
    expect(variantKeyV1({ ...sel, profile: 'gridta' })).toBe(v1);
    // SHA-256 of the payload above
    expect(variantKeyV1({ ...sel, profile: 'talib' })).toBe('d891920eb7ebb823a26d47c0e7f1b1b0643bae255b5be79aa7e9e01ab39a38bf');
  });

  it('keys the same grid differently in the two profiles; a tensor key equals the selection key', () => {
    const g = materializeGrid({ indicatorId: 'ma.ema', source: ['close', 'hlc3'], params: { window: [5, 20] } });
    const def = registry.get('ma.ema');
    const keys = (profile?: 'gridta' | 'talib') =>
      Array.from({ length: 4 }, (_, v) => tensorVariantKey(def, g.axes, v, '1:BTCUSDT', '1m', profile));
    const talib = keys('talib');
    expect(new Set([...keys(), ...talib]).size).toBe(8);
    expect(keys('gridta')).toEqual(keys());
    expect(talib[3]).toBe(
      variantKeyV1({
        instrumentId: '1:BTCUSDT',
        timeframe: '1m',
        profile: 'talib',
        indicators: [{ indicatorId: 'ma.ema', source: 'hlc3', params: { window: 20 } }],
      }),
    );
    expect(tensorVariantKeyPayload(def, g.axes, 0, '1:BTCUSDT', '1m', 'talib')).toContain(
      '"instrument_id":"1:BTCUSDT","profile":"talib","schema_version":1',
    );
  });

  it('refuses a selection profile that is not a profile', () => {
    const d = gridDetails(() => variantKeyV1({ ...sel, profile: 'ta-lib' as never }));
    expect([d.field, d.reason, d.value]).toEqual(['profile', 'invalid_spec', 'ta-lib']);
  });
});

describe('tensor meta and the Arrow export', () => {
  it('meta.profile defaults to gridta; a talib tensor keys and exports with its profile', () => {
    const plain = makeTensor();
    const talib = makeTensor({ meta: { profile: 'talib' } });
    expect([plain.meta.profile, talib.meta.profile]).toEqual(['gridta', 'talib']);
    expect(talib.variantKey(1)).not.toBe(plain.variantKey(1));
    expect(talib.variantKeyPayload(1)).toBe(plain.variantKeyPayload(1).replace(',"schema_version"', ',"profile":"talib","schema_version"'));
    const a = tensorToArrow(plain, { includeVariantKey: true });
    const b = tensorToArrow(talib, { includeVariantKey: true });
    expect(a.schema.metadata.has('gridta.profile')).toBe(false);
    expect([...b.schema.metadata.keys()]).toEqual([...a.schema.metadata.keys(), 'gridta.profile']);
    expect(b.schema.metadata.get('gridta.profile')).toBe('talib');
    expect(b.getChild('variant_key')!.get(0)).toBe(talib.variantKey(0));
  });
});
