/** The README's indicator table, generated from the registry (a test fails when the README drifts). */
import { registry } from './index.js';
import type { IndicatorDef } from './types.js';

export const TABLE_START = '<!-- indicators:start (generated from the registry by `npm run readme`) -->';
export const TABLE_END = '<!-- indicators:end -->';

const esc = (s: string): string => s.replace(/\|/g, '\\|');

function paramText(def: IndicatorDef): string {
  if (def.axes.length === 0) return '—';
  return def.axes
    .map((a) => {
      if (a === 'source') return `source ∈ {${def.sourceValues!.join(', ')}}`;
      const p = def.params.find((x) => x.name === a)!;
      return p.kind === 'enum'
        ? `${a} ∈ {${p.enumValues!.join(', ')}}`
        : `${a} ${p.kind} ${p.min}…${p.max} step ${p.step} (default ${p.default})`;
    })
    .join('; ');
}

function outputText(def: IndicatorDef): string {
  return def.outputs.map((o, i) => `${i === 0 ? `**${o}**` : o}${def.lookAhead.includes(o) ? ' ⚠ look-ahead' : ''}`).join(', ');
}

function warmupText(def: IndicatorDef): string {
  const vals = def.outputs.map((o) => def.warmup[o]!);
  return vals.every((v) => v === vals[0]) ? `\`${vals[0]}\`` : def.outputs.map((o) => `${o}: \`${def.warmup[o]}\``).join('; ');
}

/** The TA-Lib function(s) the id matches in the `talib` profile, or — for ids that compute as in the default profile. */
function talibText(def: IndicatorDef): string {
  return def.talib
    ? def.talib
        .split(',')
        .map((f) => `\`${f.trim()}\``)
        .join(', ')
    : '—';
}

export function indicatorTableMarkdown(): string {
  const lines = [TABLE_START, ''];
  for (const group of registry.groups()) {
    const defs = registry.byGroup(group);
    const ready = defs.filter((d) => d.kernel).length;
    lines.push(`#### ${group} (${ready}/${defs.length} computable)`, '');
    lines.push('| id | title | axes (hard bounds) | outputs (primary first) | warm-up | kernel | streams | TA-Lib |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const d of defs) {
      lines.push(
        `| \`${d.id}\` | ${esc(d.title)} | ${esc(paramText(d))} | ${outputText(d)} | ${esc(warmupText(d))} | ${d.kernel ? `\`${d.kernel.name}\`` : 'not yet (rejects with `kernel_unavailable`)'} | ${d.kernel?.resume ? 'yes' : 'not yet'} | ${talibText(d)} |`,
      );
    }
    lines.push('');
  }
  lines.push(TABLE_END);
  return lines.join('\n');
}
