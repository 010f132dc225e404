/** The registry against the specification's YAML, its invariants, and the README table it generates. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RegistryDefinitionError, UnknownIndicatorError } from '../../src/errors.js';
import { createRegistry, registry } from '../../src/registry/index.js';
import { indicatorTableMarkdown, TABLE_END, TABLE_START } from '../../src/registry/docs.js';
import { defineIndicator } from '../../src/registry/types.js';

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const spec = parse(readFileSync(root('spec/indicators.yaml'), 'utf8')) as {
  id_count: number;
  source_sets: Record<string, string[]>;
  indicators: Record<
    string,
    {
      group: string;
      title: string;
      inputs: string[];
      source_values: string[] | null;
      params?: Record<string, { kind: string; min: number; max: number; step: number; default: number }>;
      axes: string[];
      outputs: string[];
      primary_output: string;
      warmup: Record<string, string>;
      trailing_nan?: Record<string, string>;
    }
  >;
};

/** The 64 ids of the specification, written out so that removing or renaming one fails here. */
const SPEC_IDS = [
  'ma.dema',
  'ma.ema',
  'ma.hma',
  'ma.lwma',
  'ma.rma',
  'ma.sma',
  'ma.tema',
  'ma.vwma',
  'ma.wma',
  'ma.zlema',
  'momentum.cci',
  'momentum.fisher',
  'momentum.macd',
  'momentum.ppo',
  'momentum.roc',
  'momentum.rsi',
  'momentum.stoch',
  'momentum.stoch_rsi',
  'momentum.trix',
  'momentum.williams_r',
  'structure.candle_body',
  'structure.candle_body_atr',
  'structure.candle_body_pct',
  'structure.candle_lower_wick',
  'structure.candle_lower_wick_atr',
  'structure.candle_lower_wick_pct',
  'structure.candle_range',
  'structure.candle_range_atr',
  'structure.candle_stats',
  'structure.candle_stats_atr_norm',
  'structure.candle_upper_wick',
  'structure.candle_upper_wick_atr',
  'structure.candle_upper_wick_pct',
  'structure.distance_to_ma_norm',
  'structure.percent_rank',
  'structure.pivot_high',
  'structure.pivot_low',
  'structure.pivots',
  'structure.zscore',
  'trend.adx',
  'trend.aroon',
  'trend.chandelier_exit',
  'trend.donchian',
  'trend.ichimoku',
  'trend.keltner',
  'trend.linreg_slope',
  'trend.psar',
  'trend.supertrend',
  'trend.vortex',
  'volatility.atr',
  'volatility.bbands',
  'volatility.bbands_bandwidth',
  'volatility.bbands_percent_b',
  'volatility.hv',
  'volatility.stddev',
  'volatility.tr',
  'volatility.variance',
  'volume.ad_line',
  'volume.cmf',
  'volume.mfi',
  'volume.obv',
  'volume.volume_sma',
  'volume.vwap',
  'volume.vwap_deviation',
];

describe('registry', () => {
  it('holds exactly the 64 ids of the specification, sorted', () => {
    const ids = registry.list().map((d) => d.id);
    expect(ids).toEqual(SPEC_IDS);
    expect(ids).toEqual(Object.keys(spec.indicators).sort());
    expect(ids).toHaveLength(spec.id_count);
  });

  it.each(Object.entries(spec.indicators).map(([id, d]) => ({ id, d })))('$id matches the specification YAML', ({ id, d }) => {
    const def = registry.get(id);
    expect(def.group).toBe(d.group);
    expect(def.title).toBe(d.title);
    expect(def.inputs).toEqual(d.inputs);
    expect(def.sourceValues).toEqual(d.source_values);
    expect(def.axes).toEqual(d.axes);
    expect(def.outputs).toEqual(d.outputs);
    expect(def.primaryOutput).toBe(d.primary_output);
    expect(def.warmup).toEqual(d.warmup);
    expect(def.trailingNan ?? null).toEqual(d.trailing_nan ?? null);
    expect(def.lookAhead).toEqual(d.trailing_nan ? d.outputs.filter((o) => o in d.trailing_nan!) : []);
    const params = Object.fromEntries(
      def.params.map((p) => [p.name, { kind: p.kind, min: p.min, max: p.max, step: p.step, default: p.default }]),
    );
    expect(params).toEqual(d.params ?? {});
  });

  it('flags only ichimoku span_a and span_b as look-ahead outputs', () => {
    const flagged = registry
      .list()
      .filter((d) => d.lookAhead.length)
      .map((d) => [d.id, d.lookAhead]);
    expect(flagged).toEqual([['trend.ichimoku', ['span_a', 'span_b']]]);
  });

  it('lists groups in the fixed order and ids by group', () => {
    expect(registry.groups()).toEqual(['ma', 'volatility', 'momentum', 'trend', 'volume', 'structure']);
    expect(registry.byGroup('ma')).toHaveLength(10);
    expect(registry.byGroup('structure')).toHaveLength(19);
  });

  it('normalises ids on lookup and suggests close ids for unknown ones', () => {
    expect(registry.get('  MA.EMA ').id).toBe('ma.ema');
    expect(() => registry.get('volatility.atrr')).toThrow(UnknownIndicatorError);
    try {
      registry.get('volatility.atrr');
    } catch (e) {
      expect((e as UnknownIndicatorError).details.suggestions[0]).toBe('volatility.atr');
    }
  });

  it('rejects a definition whose id prefix is not its group', () => {
    const bad = defineIndicator({ ...registry.get('ma.ema'), id: 'trend.ema2', kernel: null } as never);
    expect(() => createRegistry([bad])).toThrow(RegistryDefinitionError);
  });

  it('rejects an output that collides with an axis name', () => {
    const ema = registry.get('ma.ema');
    const bad = defineIndicator({ ...ema, outputs: ['window'], warmup: { window: '0' }, kernel: null } as never);
    expect(() => createRegistry([bad])).toThrow(/outputs/);
  });

  it('rejects a param default outside its bounds', () => {
    const ema = registry.get('ma.ema');
    const bad = defineIndicator({ ...ema, params: [{ ...ema.params[0]!, default: 1 }], kernel: null } as never);
    expect(() => createRegistry([bad])).toThrow(/default/);
  });

  it('gives every kernel-backed output a reference slot of the same name', () => {
    for (const def of registry.list()) {
      if (!def.kernel) continue;
      for (const o of def.outputs) expect(def.kernel.slots, `${def.id}.${o}`).toContain(o);
    }
  });
});

describe('README', () => {
  it('carries the indicator table generated from the registry (run npm run readme after changing it)', () => {
    const readme = readFileSync(root('README.md'), 'utf8');
    const a = readme.indexOf(TABLE_START),
      b = readme.indexOf(TABLE_END);
    expect(a, 'README lacks the table start marker').toBeGreaterThanOrEqual(0);
    expect(readme.slice(a, b + TABLE_END.length)).toBe(indicatorTableMarkdown());
  });

  it('has a row for every id', () => {
    const readme = readFileSync(root('README.md'), 'utf8');
    for (const def of registry.list()) expect(readme).toContain(`| \`${def.id}\` |`);
  });
});
