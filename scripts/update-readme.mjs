// Rewrites the generated tables of README.md from the built registries (npm run readme): the
// indicator table from the indicator registry, the strategy template table from the strategy registry.
import { readFileSync, writeFileSync } from 'node:fs';
import { indicatorTableMarkdown, TABLE_START, TABLE_END } from '../dist/src/registry/docs.js';
import { strategyTableMarkdown, STRATEGY_TABLE_START, STRATEGY_TABLE_END } from '../dist/src/strategies/docs.js';

const path = new URL('../README.md', import.meta.url);
let readme = readFileSync(path, 'utf8');
for (const [name, start, end, table] of [
  ['indicator', TABLE_START, TABLE_END, indicatorTableMarkdown()],
  ['strategy template', STRATEGY_TABLE_START, STRATEGY_TABLE_END, strategyTableMarkdown()],
]) {
  const a = readme.indexOf(start),
    b = readme.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`README.md lacks the ${name} table markers`);
  readme = readme.slice(0, a) + table + readme.slice(b + end.length);
  console.log(`README.md ${name} table updated`);
}
writeFileSync(path, readme);
