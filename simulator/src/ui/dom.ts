/** Small DOM helpers: lookups that fail loudly, and writes that touch the DOM only on change. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`simulator page: no element #${id}`)
  return element as T
}

export function byTestId<T extends HTMLElement = HTMLElement>(testId: string): T {
  const element = document.querySelector(`[data-testid="${testId}"]`)
  if (element === null) throw new Error(`simulator page: no element [data-testid="${testId}"]`)
  return element as T
}

/** Set the text of `element` unless it already holds it (no layout work for unchanged text). */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text
}

export function setClass(element: HTMLElement, name: string, on: boolean): void {
  if (element.classList.contains(name) !== on) element.classList.toggle(name, on)
}

export function create<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (className !== '') element.className = className
  if (text !== '') element.textContent = text
  return element
}
