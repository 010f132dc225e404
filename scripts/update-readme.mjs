// Rewrites the generated indicator table of README.md from the built registry (npm run readme).
import { readFileSync, writeFileSync } from 'node:fs';
import { indicatorTableMarkdown, TABLE_START, TABLE_END } from '../dist/src/registry/docs.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const a = readme.indexOf(TABLE_START),
  b = readme.indexOf(TABLE_END);
if (a < 0 || b < 0) throw new Error('README.md lacks the indicator table markers');
writeFileSync(path, readme.slice(0, a) + indicatorTableMarkdown() + readme.slice(b + TABLE_END.length));
console.log('README.md indicator table updated');
