import { oracleSuite } from '../helpers/oracle-suite.js';
import { singleSourceSuite } from '../helpers/oracle-single-source.js';
import { tiesSuite } from '../helpers/oracle-ties.js';

oracleSuite('momentum');
singleSourceSuite('momentum');
tiesSuite(['momentum.fisher', 'momentum.stoch', 'momentum.stoch_rsi', 'momentum.williams_r', 'momentum.cci']);
