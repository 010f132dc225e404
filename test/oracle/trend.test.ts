import { oracleSuite } from '../helpers/oracle-suite.js';
import { singleSourceSuite } from '../helpers/oracle-single-source.js';
import { tiesSuite } from '../helpers/oracle-ties.js';

oracleSuite('trend');
singleSourceSuite('trend');
tiesSuite([
  'trend.aroon',
  'trend.chandelier_exit',
  'trend.donchian',
  'trend.ichimoku',
  'trend.adx',
  'trend.psar',
  'trend.supertrend',
  'trend.vortex',
]);
