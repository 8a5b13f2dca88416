import { lawSuite } from '../harness/laws.js'
import { gCounterAdapter, lwwRegisterAdapter } from '../harness/types/custom.js'

lawSuite(gCounterAdapter)
lawSuite(lwwRegisterAdapter)
