import { lawSuite } from '../harness/laws.js'
import { registerAdapter } from '../harness/types/register.js'

lawSuite(registerAdapter)
