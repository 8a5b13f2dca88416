import { lawSuite } from '../harness/laws.js'
import { awSetAdapter } from '../harness/types/aw-set.js'

lawSuite(awSetAdapter)
