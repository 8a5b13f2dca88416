import { lawSuite } from '../harness/laws.js'
import { plainFlowTableAdapter, timedFlowTableAdapter } from '../harness/types/flow-table.js'

lawSuite(plainFlowTableAdapter)
lawSuite(timedFlowTableAdapter)
