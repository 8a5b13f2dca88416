import { lawSuite } from '../harness/laws.js'
import { maxRegisterAdapter } from '../harness/types/max-register.js'

lawSuite(maxRegisterAdapter)
