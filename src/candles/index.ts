/** Candles: validation, derived price sources, the CSV loader and the shared placement. */
export type {
  ArrowLoadOptions,
  BaseSeries,
  CandleColumns,
  Candles,
  CandlesInput,
  CsvLoadOptions,
  LoadOptions,
  LoadReport,
  LoadWarning,
  PriceSeries,
  SeriesInput,
  SourceSeries,
  Timeframe,
  Timeline,
  TimesInput,
  TsUnit,
} from './types.js';
export { createCandles, isCandles } from './create.js';
export { availableSeries, buildSourceSeries, sourceComponents, type SeriesName } from './sources.js';
export { candlesFromCsv } from './csv.js';
