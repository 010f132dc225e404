/** Grid shapes. */

export type Layout = 'TIME_MAJOR' | 'VARIANT_MAJOR';

export type AxisSpec =
  | { readonly mode: 'explicit'; readonly values: readonly (number | string)[] }
  | { readonly mode: 'range'; readonly start: number; readonly stopIncl: number; readonly step: number };

/** Sugar: a bare array is an explicit axis, a bare number or string a one-value explicit axis. */
export type AxisInput = AxisSpec | readonly (number | string)[] | number | string;

export interface GridSpec {
  readonly indicatorId: string;
  readonly source?: AxisInput;
  readonly params?: Readonly<Record<string, AxisInput>>;
  readonly layout?: Layout;
}

export interface Axis {
  readonly name: string;
  readonly kind: 'int' | 'float' | 'enum' | 'source';
  readonly values: readonly number[] | readonly string[];
}
