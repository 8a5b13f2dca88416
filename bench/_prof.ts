import { counter, createReplica, defineState, flowTable, type Replica, type Transport } from '../src/index.js'
import { flowKeyOf } from './workload.js'
const Monitor = defineState({ packets: counter(), flows: flowTable({ fields: { packets: counter(), bytes: counter() } }) })
const replicas = new Map<string, Replica>()
const transport = (): Transport => ({ open: (id) => id, seeds: () => [...replicas.keys()], send: (a, f) => replicas.get(a)?.receive(f), close: async () => {} })
for (let run = 0; run < 10; run++) {
  replicas.clear()
  const a = createReplica(Monitor, { id: 'a', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
  const b = createReplica(Monitor, { id: 'b', transport: transport(), gossip: { maxFrameBytes: 64 << 20 } })
  replicas.set('a', a); replicas.set('b', b)
  void a.start(); void b.start(); void a.flush(); void b.flush()
  for (let f = 0; f < 10000; f++) { const e = a.state.flows.entry(flowKeyOf(f + run * 10000)); e.packets.increment(f + 1); e.bytes.increment(64) }
  const t = performance.now(); void a.flush(); console.log((performance.now() - t).toFixed(1), 'ms', b.state.flows.size)
  void a.stop(); void b.stop()
}
