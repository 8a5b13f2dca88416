import { lawSuite } from '../harness/laws.js'
import { pnCounterAdapter } from '../harness/types/pn-counter.js'

lawSuite(pnCounterAdapter)
