/** gridta's public surface: every export is named here. */
export { createEngine, KernelUnavailableError } from './runtime/engine.js';
export type { Engine, ComputeRequest, ComputeProgress, WarmupReport } from './runtime/engine.js';
export { resolveConfig } from './runtime/config.js';
export { diagnose } from './runtime/diagnose.js';
export type { GridtaOptions, ResolvedConfig } from './runtime/config.js';
export { createCandles, candlesFromCsv } from './candles/index.js';
export type { Candles, CandlesInput, LoadReport, CsvLoadOptions } from './candles/index.js';
export { registry } from './registry/index.js';
export type { Registry, IndicatorDef, ParamDef, Group, SourceSeries, BaseSeries, PriceSeries } from './registry/index.js';
export { variantKeyV1, variantKeyPayloadV1 } from './grid/keys.js';
export type { GridSpec, AxisSpec, AxisInput, Axis, Layout } from './grid/types.js';
export type { Timeframe } from './grid/timeframe.js';
export { estimate, estimateBatch } from './compute/estimate.js';
export type { EstimateResult, EstimateOptions, BatchEstimateOptions } from './guards/index.js';
export type { IndicatorTensor, TensorMeta, TensorOutput, ArrowExportOptions } from './compute/tensor.js';
export {
  strategyRegistry,
  compileStrategy,
  strategyGrid,
  variantParams,
  strategyKey,
  strategyKeyPayload,
  SIGNAL_NAMES,
} from './strategies/index.js';
export type {
  StrategyRegistry,
  StrategyGrid,
  StrategySpec,
  StrategyDef,
  StrategyParamDef,
  CustomStrategy,
  Rule,
  Operand,
  IndicatorOperand,
  PriceOperand,
  PriceName,
  Binding,
  Comparison,
  Constraint,
  ConstraintOp,
  SignalName,
} from './strategies/index.js';
export type { StrategyProgram, SeriesRequest, Atom, AtomSide, Execution, Side, Fill, MetricName, Trade } from './backtest/program.js';
export { METRIC_NAMES } from './backtest/program.js';
export type {
  BacktestRequest,
  BacktestResult,
  BacktestStats,
  BacktestProgress,
  ShortlistEntry,
  ReplayResult,
  BacktestReplayRequest,
  BacktestArrowIPCOptions,
} from './backtest/run.js';
export { aggregateRanking, AGGREGATES } from './backtest/aggregate.js';
export type { Aggregate, AggregateRanking } from './backtest/aggregate.js';
export type { Objective, Filters, Holdout } from './backtest/options.js';
export type { Metrics } from './backtest/metrics.js';
export {
  GridtaError,
  ConfigError,
  DefaultsValidationError,
  RegistryDefinitionError,
  CandlesValidationError,
  UnknownIndicatorError,
  GridValidationError,
  VariantsGuardExceeded,
  ComputeBudgetExceeded,
  MissingInputSeriesError,
  StrategyValidationError,
  ComputeCancelled,
  WorkerCrashedError,
  KernelError,
  CacheUnavailableError,
  CompileError,
  WarmupError,
  StreamOrderError,
  TensorReleasedError,
  StreamSnapshotError,
} from './errors.js';
export { writeSnapshot } from './stream/index.js';
export type { IndicatorStream, RestoreStreamOptions, StreamRequest, StreamRows, StreamInstrument, StreamBar } from './stream/index.js';
