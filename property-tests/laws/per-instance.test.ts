import { lawSuite } from '../harness/laws.js'
import { perInstanceAdapters } from '../harness/types/per-instance.js'

for (const adapter of perInstanceAdapters) lawSuite(adapter)
