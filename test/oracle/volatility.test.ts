import { oracleSuite } from '../helpers/oracle-suite.js';

oracleSuite('volatility');
