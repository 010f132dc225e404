/**
 * The hand-kept lists of known option keys (the unknown-key checks refuse every other key) must hold
 * exactly the keys of the TypeScript type they guard: a key added to an interface but not to its list
 * would be refused at run time although the types allow it. The types are read with the TypeScript
 * compiler, so this compares the lists with the real declarations.
 */
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPORT_OPTION_KEYS, IPC_EXPORT_OPTION_KEYS } from '../../src/arrow/export.js';
import { CANDLES_INPUT_KEYS, COLUMN_KEYS, CSV_LOAD_OPTION_KEYS, LOAD_OPTION_KEYS } from '../../src/candles/types.js';
import { AXIS_EXPLICIT_KEYS, AXIS_RANGE_KEYS, GRID_KEYS } from '../../src/grid/axes.js';
import { SELECTION_ENTRY_KEYS, SELECTION_KEYS } from '../../src/grid/keys.js';
import { BATCH_ESTIMATE_OPTION_KEYS, ESTIMATE_OPTION_KEYS, TIME_RANGE_KEYS } from '../../src/guards/index.js';
import { COMPUTE_REQUEST_KEYS } from '../../src/runtime/request.js';
import { OPTION_KEYS } from '../../src/runtime/config.js';
import { GRID_OVERRIDE_KEYS } from '../../src/runtime/defaults.js';
import { COLLECT_OPTION_KEYS, SUBMIT_REQUEST_KEYS } from '../../src/jobs/control.js';
import { UNIT_COMPUTE_KEYS } from '../../src/jobs/compute.js';
import { OPEN_OPTION_KEYS } from '../../src/jobs/store.js';
import { WORKER_FAULT_KEYS, WORKER_OPTION_KEYS } from '../../src/jobs/worker.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FILES = [
  'src/index.ts',
  'src/arrow/index.ts',
  'src/jobs/index.ts',
  'src/jobs/compute.ts',
  'src/jobs/store.ts',
  'src/jobs/worker.ts',
  'src/jobs/control.ts',
  'src/guards/index.ts',
  'src/grid/keys.ts',
  'src/candles/types.ts',
  'src/runtime/engine.ts',
].map((f) => join(root, f));
const program = ts.createProgram(FILES, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

/** The type declared as `name` (interface or type alias) in `file`. */
function declared(file: string, name: string): ts.Type {
  const sf = program.getSourceFile(join(root, file));
  if (!sf) throw new Error(`${file} is not in the program`);
  for (const st of sf.statements) {
    if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name.text === name)
      return checker.getTypeAtLocation(st.name);
  }
  throw new Error(`${name} is not declared in ${file}`);
}

/** The type of parameter `index` of method `member` of `type`. */
function parameterOf(type: ts.Type, member: string, index: number): ts.Type {
  const prop = type.getProperty(member)!;
  const sig = checker.getSignaturesOfType(checker.getTypeOfSymbol(prop), ts.SignatureKind.Call)[0]!;
  return checker.getNonNullableType(checker.getTypeOfSymbol(sig.getParameters()[index]!));
}

/** The union member of `type` whose `mode` is `mode`. */
function unionMember(type: ts.Type, mode: string): ts.Type {
  return (type as ts.UnionType).types.find((t) => {
    const m = t.getProperty('mode');
    return m !== undefined && checker.typeToString(checker.getTypeOfSymbol(m)) === `"${mode}"`;
  })!;
}

function keys(type: ts.Type): string[] {
  return checker
    .getPropertiesOfType(checker.getApparentType(type))
    .map((p) => p.name)
    .sort();
}

const sorted = (list: readonly string[]): string[] => [...list].sort();

describe('the known-key lists hold exactly the keys of their types', () => {
  const cases: [string, readonly string[], () => ts.Type, string[]?][] = [
    ['ComputeRequest', COMPUTE_REQUEST_KEYS, () => declared('src/runtime/engine.ts', 'ComputeRequest')],
    ['GridtaOptions', OPTION_KEYS, () => declared('src/runtime/config.ts', 'GridtaOptions')],
    ['EstimateOptions', ESTIMATE_OPTION_KEYS, () => declared('src/guards/index.ts', 'EstimateOptions')],
    ['Engine.estimate options', ESTIMATE_OPTION_KEYS, () => parameterOf(declared('src/runtime/engine.ts', 'Engine'), 'estimate', 2)],
    ['BatchEstimateOptions', BATCH_ESTIMATE_OPTION_KEYS, () => declared('src/guards/index.ts', 'BatchEstimateOptions')],
    [
      'Engine.estimateBatch options',
      BATCH_ESTIMATE_OPTION_KEYS,
      () => parameterOf(declared('src/runtime/engine.ts', 'Engine'), 'estimateBatch', 2),
    ],
    ['TimeRange', TIME_RANGE_KEYS, () => declared('src/guards/index.ts', 'TimeRange')],
    ['GridSpec', GRID_KEYS, () => declared('src/grid/types.ts', 'GridSpec')],
    ['GridSpec (defaultGrid overrides)', GRID_OVERRIDE_KEYS, () => declared('src/grid/types.ts', 'GridSpec')],
    ['explicit AxisSpec', AXIS_EXPLICIT_KEYS, () => unionMember(declared('src/grid/types.ts', 'AxisSpec'), 'explicit')],
    ['range AxisSpec', AXIS_RANGE_KEYS, () => unionMember(declared('src/grid/types.ts', 'AxisSpec'), 'range')],
    ['VariantKeySelection', SELECTION_KEYS, () => declared('src/grid/keys.ts', 'VariantKeySelection')],
    ['VariantKeyIndicator', SELECTION_ENTRY_KEYS, () => declared('src/grid/keys.ts', 'VariantKeyIndicator')],
    ['LoadOptions', LOAD_OPTION_KEYS, () => declared('src/candles/types.ts', 'LoadOptions')],
    ['CsvLoadOptions', CSV_LOAD_OPTION_KEYS, () => declared('src/candles/types.ts', 'CsvLoadOptions')],
    ['CandleColumns', COLUMN_KEYS, () => declared('src/candles/types.ts', 'CandleColumns')],
    // createCandles also takes the fields it derives, so candles pass through it
    ['CandlesInput', CANDLES_INPUT_KEYS, () => declared('src/candles/types.ts', 'CandlesInput'), ['end', 'start', 'stepMs', 't']],
    ['ArrowExportOptions', EXPORT_OPTION_KEYS, () => declared('src/compute/tensor.ts', 'ArrowExportOptions')],
    ['ArrowIPCExportOptions', IPC_EXPORT_OPTION_KEYS, () => declared('src/compute/tensor.ts', 'ArrowIPCExportOptions')],
    ['SubmitRequest (without the test-only fsFaults)', SUBMIT_REQUEST_KEYS, () => declared('src/jobs/control.ts', 'SubmitRequest')],
    ['CollectOptions', COLLECT_OPTION_KEYS, () => declared('src/jobs/control.ts', 'CollectOptions')],
    ['OpenOptions', OPEN_OPTION_KEYS, () => declared('src/jobs/store.ts', 'OpenOptions')],
    ['UnitComputeInput', UNIT_COMPUTE_KEYS, () => declared('src/jobs/compute.ts', 'UnitComputeInput')],
    ['WorkerOptions', WORKER_OPTION_KEYS, () => declared('src/jobs/worker.ts', 'WorkerOptions')],
    ['WorkerFaults', WORKER_FAULT_KEYS, () => declared('src/jobs/worker.ts', 'WorkerFaults')],
  ];
  it.each(cases)('%s', (label, list, type, extra = []) => {
    let expected = keys(type());
    if (label.startsWith('SubmitRequest')) expected = expected.filter((k) => k !== 'fsFaults');
    expect(sorted(list)).toEqual(sorted([...expected, ...extra]));
  });
});
