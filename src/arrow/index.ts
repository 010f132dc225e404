/** `gridta/arrow`: Apache Arrow in (candles) and out (the long tensor table, one row per variant and bar; a backtest's metrics table). */
export { tensorToArrow, tensorToArrowIPC, toArrowExporters, MAX_BATCH_ROWS, TENSOR_LONG_SCHEMA } from './export.js';
export { writeTensorCsv, shortestFloat32 } from './csv.js';
export { candlesFromArrow, loadCandlesFile } from './candles.js';
export { backtestToArrow, backtestToArrowIPC, BACKTEST_METRICS_SCHEMA } from '../backtest/arrow.js';
