// One-off generator: writes the definition literals of src/registry/<group>.ts from the spec YAML.
// Kernel bindings are written by hand afterwards; run only to bootstrap a group file.
const YAML = require('yaml');
const fs = require('node:fs');
const doc = YAML.parse(fs.readFileSync(process.argv[2], 'utf8'));
const md = fs.readFileSync(process.argv[3], 'utf8');
const group = process.argv[4];
const docs = {};
for (const sec of md.split(/\n### /).slice(1)) {
  const m = sec.match(/^`([a-z_.]+)`/);
  if (!m) continue;
  const lines = sec.split('\n').filter((l) => l.startsWith('- '));
  let f =
    lines.find((l) => l.startsWith('- Formula:')) ??
    lines.find((l) => !/^- (Inputs|Params|Axes|Outputs|Warm-up|Trailing|vs |Constants?|NaN|Zero|Per-variant)/.test(l));
  f = (f ?? '').replace(/^- (Formula: )?/, '');
  docs[m[1]] = f;
}
const q = (s) => JSON.stringify(s).replace(/"/g, "'").replace(/\\'/g, "\\'");
const out = [];
for (const [id, d] of Object.entries(doc.indicators)) {
  if (d.group !== group) continue;
  const name = id.split('.')[1];
  const src = d.source_values ? (d.source_values.includes('hl2') ? 'SRC7' : 'SRC6') : 'null';
  const params = Object.entries(d.params ?? {})
    .map(([n, p]) => `    { name: '${n}', kind: '${p.kind}', min: ${p.min}, max: ${p.max}, step: ${p.step}, default: ${p.default} },`)
    .join('\n');
  const rec = (o) =>
    '{ ' +
    Object.entries(o)
      .map(([k, v]) => `${k}: ${q(String(v))}`)
      .join(', ') +
    ' }';
  out.push(`export const ${name} = defineIndicator({
  id: '${id}', group: '${group}', title: ${q(d.title)},
  inputs: ${q(d.inputs)}, sourceValues: ${src},
  params: [${params ? `\n${params}\n  ` : ''}],
  axes: ${q(d.axes)}, outputs: ${q(d.outputs)},
  warmup: ${rec(d.warmup)},${d.trailing_nan ? `\n  trailingNan: ${rec(d.trailing_nan)},` : ''}
  kernel: null,
  doc: ${q(docs[id] ?? '')},
});
`);
}
process.stdout.write(out.join('\n'));
