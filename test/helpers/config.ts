/** The precedence tests every resolved setting gets (option > environment variable > YAML > built-in default). */
import { describe, expect, it } from 'vitest';
import type { GridtaOptions, ResolvedConfig } from '../../src/runtime/config.js';

/** Settings that are both a `createEngine` option and a resolved `{ value, source }`. */
type SettingName = {
  [K in keyof ResolvedConfig & keyof GridtaOptions]: ResolvedConfig[K] extends { value: unknown; source: string } ? K : never;
}[keyof ResolvedConfig & keyof GridtaOptions];

/** One setting: the YAML line that sets it, an environment variable value, an option value, and what each resolves to. */
export interface PrecedenceRow {
  readonly name: SettingName;
  readonly yaml: string;
  readonly yamlValue: unknown;
  readonly envVar: string;
  readonly env: string;
  readonly envValue: unknown;
  readonly option: unknown;
  readonly def: unknown;
}

export interface PrecedenceProject {
  /** A project directory whose config file holds `yaml` in the section under test (none with `null`). */
  project(yaml: string | null): { dir: string; file: string };
  /** resolveConfig in `dir` with these options and this environment. */
  resolveIn(dir: string, options?: GridtaOptions, environ?: Record<string, string | undefined>): ResolvedConfig;
}

/** A describe per row: the default, then the YAML over it, the environment over the YAML, the option over the environment. */
export function describePrecedence(rows: readonly PrecedenceRow[], { project, resolveIn }: PrecedenceProject): void {
  describe.each(rows)('$name', (row) => {
    it('uses the built-in default when no layer sets it', () => {
      expect(resolveIn(project(null).dir)[row.name]).toEqual({ value: row.def, source: 'default' });
    });
    it('takes the YAML value over the default, recording the absolute file path', () => {
      const { dir, file } = project(row.yaml);
      expect(resolveIn(dir)[row.name]).toEqual({ value: row.yamlValue, source: `yaml:${file}` });
    });
    it('takes the environment variable over the YAML', () => {
      const { dir } = project(row.yaml);
      expect(resolveIn(dir, {}, { [row.envVar]: row.env })[row.name]).toEqual({ value: row.envValue, source: `env:${row.envVar}` });
    });
    it('takes the option over the environment variable', () => {
      const { dir } = project(row.yaml);
      const options: GridtaOptions = { [row.name]: row.option };
      expect(resolveIn(dir, options, { [row.envVar]: row.env })[row.name]).toEqual({ value: row.option, source: 'option' });
    });
  });
}
