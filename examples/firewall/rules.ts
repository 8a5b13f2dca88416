/**
 * The firewall's rule list: an ordered list in a Yjs document (`doc()`), so operators can insert
 * a rule at any instance, at any position, and every instance ends up with the same order. The
 * first rule that matches a connection decides; without a match the connection is allowed.
 */
import type * as Y from 'yjs'

export interface Rule {
  action: 'allow' | 'deny'
  /** Source address prefix, e.g. `'10.6.'`; absent: any source. */
  sourcePrefix?: string
  /** Destination port; absent: any port. */
  port?: number
}

export function ruleList(doc: Y.Doc): Y.Array<Rule> {
  return doc.getArray<Rule>('rules')
}

/**
 * Inserts `rule` at `index` (clamped to the list), or appends it.
 * @throws RangeError for an action other than allow or deny, or a port outside 0 to 65535.
 */
export function addRule(doc: Y.Doc, rule: Rule, index?: number): void {
  if (rule.action !== 'allow' && rule.action !== 'deny') throw new RangeError(`a rule's action is allow or deny, got ${String(rule.action)}`)
  if (rule.port !== undefined && !(Number.isInteger(rule.port) && rule.port >= 0 && rule.port <= 65_535)) throw new RangeError(`a rule's port is 0 to 65535, got ${rule.port}`)
  // A plain object of its own: Yjs takes only plain objects (not, say, one without a prototype).
  const stored: Rule = { action: rule.action }
  if (rule.sourcePrefix !== undefined) stored.sourcePrefix = rule.sourcePrefix
  if (rule.port !== undefined) stored.port = rule.port
  const rules = ruleList(doc)
  rules.insert(Math.min(index ?? rules.length, rules.length), [stored])
}

/** Removes the rule at `index`, if there is one. */
export function removeRule(doc: Y.Doc, index: number): void {
  const rules = ruleList(doc)
  if (index < rules.length) rules.delete(index, 1)
}

function matches(rule: Rule, source: string, port: number): boolean {
  return (rule.sourcePrefix === undefined || source.startsWith(rule.sourcePrefix)) && (rule.port === undefined || rule.port === port)
}

/** The action of the first matching rule, `'allow'` when none matches. */
export function decide(doc: Y.Doc, source: string, port: number): 'allow' | 'deny' {
  for (const rule of ruleList(doc)) if (matches(rule, source, port)) return rule.action
  return 'allow'
}
