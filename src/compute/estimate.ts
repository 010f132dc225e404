/**
 * The public `estimate` / `estimateBatch` without an engine: the guards' checks plus the WebAssembly
 * memory layout of an in-process compute (threads 1, automatic batching), which the guards cannot
 * size themselves. `engine.estimate` uses its engine's threads, batching and kind instead.
 */
import {
  DEFAULT_LIMITS,
  estimate as guardsEstimate,
  estimateBatch as guardsEstimateBatch,
  type BatchEstimateOptions,
  type BatchEstimateResult,
  type EstimateOptions,
  type EstimateResult,
  type Horizon,
  type Limits,
} from '../guards/index.js';
import type { GridSpec } from '../grid/types.js';
import { registry as defaultRegistry, type Registry } from '../registry/index.js';
import { inProcessMemoryBytes } from './plan.js';

const withLayout = (limits: Limits): Limits => (limits.memoryBytes ? limits : { ...limits, memoryBytes: inProcessMemoryBytes });

export function estimate(
  spec: GridSpec,
  horizon: Horizon,
  opts: EstimateOptions = {},
  limits: Limits = DEFAULT_LIMITS,
  reg: Registry = defaultRegistry,
): EstimateResult {
  return guardsEstimate(spec, horizon, opts, withLayout(limits), reg);
}

export function estimateBatch(
  grids: readonly GridSpec[],
  horizon: Horizon,
  opts: BatchEstimateOptions = {},
  limits: Limits = DEFAULT_LIMITS,
  reg: Registry = defaultRegistry,
): BatchEstimateResult {
  return guardsEstimateBatch(grids, horizon, opts, withLayout(limits), reg);
}
