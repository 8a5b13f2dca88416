import { lawSuite } from '../harness/laws.js'
import { counterAdapter } from '../harness/types/counter.js'

lawSuite(counterAdapter)
