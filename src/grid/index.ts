/** Grid layer: materialised axes, cartesian order, variant keys. Pure. */
export type { Axis, AxisInput, AxisSpec, GridSpec, Layout } from './types.js';
export type { MaterialisedGrid } from './axes.js';
export {
  checkLayout,
  checkVariantRules,
  decimalRange,
  LAYOUTS,
  materializeGrid,
  MAX_RANGE_VALUES,
  variantCount,
  variantIndex,
  variantValues,
} from './axes.js';
export type { VariantKeyIndicator, VariantKeySelection } from './keys.js';
export {
  formatFloatV1,
  hashPayloadV1,
  tensorVariantKey,
  tensorVariantKeyPayload,
  variantKeyPayloadV1,
  variantKeyV1,
} from './keys.js';
export type { Timeframe } from './timeframe.js';
export { normalizeTimeframe, TIMEFRAME_MS, timeframeOfStep } from './timeframe.js';
