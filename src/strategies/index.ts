/** Strategies as data: templates, the strategy registry, compiling a request to a program, keys. */
export type * from './types.js';
export { SIGNAL_NAMES } from './types.js';
export { createStrategyRegistry, strategyRegistry } from './registry.js';
export type { StrategyRegistry } from './registry.js';
export { compileStrategy, variantParams } from './compile.js';
export { strategyKey, strategyKeyPayload } from './keys.js';
