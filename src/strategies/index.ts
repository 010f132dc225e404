/** Strategies as data: templates, the strategy registry, compiling a request to a program, keys. */
export type * from './types.js';
export { SIGNAL_NAMES } from './types.js';
export { createStrategyRegistry, strategyRegistry } from './registry.js';
export type { StrategyRegistry } from './registry.js';
export { compileStrategy, strategyGrid, variantParams } from './compile.js';
export type { StrategyGrid } from './compile.js';
export { MAX_STRATEGY_CARTESIAN } from './grid.js';
export { strategyKey, strategyKeyPayload } from './keys.js';
