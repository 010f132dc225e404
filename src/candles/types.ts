/** Candle shapes and loader options. */
import type { Timeframe } from '../grid/timeframe.js';
import { keyList } from '../options.js';
import type { BaseSeries, PriceSeries, SourceSeries } from '../registry/types.js';

export type { BaseSeries, PriceSeries, SourceSeries, Timeframe };

export type Timeline = 'dense' | 'sessions';

/** Unit of integer timestamps in a file or table. */
export type TsUnit = 'ms' | 's' | 'us' | 'ns';

export interface LoadWarning {
  readonly code: string;
  readonly message: string;
}

/** What a loader did with the rows it read. */
export interface LoadReport {
  readonly rowsRead: number;
  readonly rowsPlaced: number;
  readonly duplicates: number;
  readonly misaligned: number;
  readonly outOfRange: number;
  readonly holes: number;
  readonly timeframeInferred: boolean;
  readonly warnings: readonly LoadWarning[];
}

/** Validated, frozen candles: BigInt64Array times and Float32Array series of length `t`. */
export interface Candles {
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly stepMs: number;
  /** ms, = tsOpen[0]. */
  readonly start: number;
  /** ms, exclusive. */
  readonly end: number;
  readonly t: number;
  readonly tsOpen: BigInt64Array;
  readonly close: Float32Array;
  readonly open?: Float32Array;
  readonly high?: Float32Array;
  readonly low?: Float32Array;
  readonly volume?: Float32Array;
  readonly timeline: Timeline;
  readonly loadReport?: LoadReport;
}

/** A series as a caller may give it; number[] and Float64Array are rounded once to float32. */
export type SeriesInput = Float32Array | Float64Array | readonly number[];

/** Times as a caller may give them; numbers must be safe integers (ms). */
export type TimesInput = BigInt64Array | Float64Array | readonly number[];

/** `Candles` without the derived fields; `timeframe` is normalised (`" 1H "` → `1h`). */
export interface CandlesInput {
  readonly instrumentId: string;
  readonly timeframe: Timeframe | string;
  readonly tsOpen: TimesInput;
  readonly close: SeriesInput;
  readonly open?: SeriesInput;
  readonly high?: SeriesInput;
  readonly low?: SeriesInput;
  readonly volume?: SeriesInput;
  /** 'dense' when absent. */
  readonly timeline?: Timeline;
  readonly loadReport?: LoadReport;
}

/**
 * The keys `createCandles` accepts: those of CandlesInput, plus the fields it derives (`stepMs`, `start`,
 * `end`, `t`), so candles built by another copy of gridta pass through (the derived ones are recomputed).
 */
export const CANDLES_INPUT_KEYS = keyList<CandlesInput & Pick<Candles, 'stepMs' | 'start' | 'end' | 't'>>({
  instrumentId: true,
  timeframe: true,
  tsOpen: true,
  close: true,
  open: true,
  high: true,
  low: true,
  volume: true,
  timeline: true,
  loadReport: true,
  stepMs: true,
  start: true,
  end: true,
  t: true,
});

/** Explicit column names, overriding the automatic header match. */
export type CandleColumns = Partial<Record<'tsOpen' | BaseSeries, string>>;

/** Options shared by the CSV and Arrow loaders. */
export interface LoadOptions {
  /** Required; stored trimmed. */
  readonly instrumentId: string;
  /** Inferred from the timestamps when absent (the most frequent step). */
  readonly timeframe?: Timeframe | string;
  /** Unit of integer timestamps; 'ms' when absent. */
  readonly tsUnit?: TsUnit;
  /** ms; the smallest timestamp when absent. */
  readonly start?: number;
  /** ms, exclusive; just after the last row when absent. */
  readonly end?: number;
  /** Duplicate or misaligned rows become errors. */
  readonly strict?: boolean;
  readonly timeline?: Timeline;
  readonly columns?: CandleColumns;
  /** Dense timeline guard: the most bars a load may build; 2^27 (134,217,728) when absent. */
  readonly maxBars?: number;
  /** Dense timeline guard: the largest share of holes (0..1) in a timeline over 65,536 bars; 0.99 when absent. */
  readonly maxHoleShare?: number;
}

export interface CsvLoadOptions extends LoadOptions {
  /** One character (or string) between fields; ',' when absent. */
  readonly delimiter?: string;
}

export type ArrowLoadOptions = LoadOptions;

/** The keys of LoadOptions, CsvLoadOptions and CandleColumns (unknown keys are refused). */
// Written as records over the types' keys (keyList) so that a new option cannot be left out of a list.
const LOAD_OPTION_RECORD: Record<keyof LoadOptions, true> = {
  instrumentId: true,
  timeframe: true,
  tsUnit: true,
  start: true,
  end: true,
  strict: true,
  timeline: true,
  columns: true,
  maxBars: true,
  maxHoleShare: true,
};
export const LOAD_OPTION_KEYS = keyList<LoadOptions>(LOAD_OPTION_RECORD);
export const CSV_LOAD_OPTION_KEYS = keyList<CsvLoadOptions>({ ...LOAD_OPTION_RECORD, delimiter: true });
export const COLUMN_KEYS = keyList<Required<CandleColumns>>({ tsOpen: true, open: true, high: true, low: true, close: true, volume: true });

/** The five base series in their canonical (OHLCV) order. */
export const BASE_SERIES: readonly BaseSeries[] = ['open', 'high', 'low', 'close', 'volume'];
