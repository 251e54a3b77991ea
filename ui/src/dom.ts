/**
 * The page's only way to make DOM: text goes in with `textContent`, never as HTML. Keys,
 * peer ids and addresses come from other people (a key like `<img src=x onerror=…>` is
 * legal), so nothing here parses markup.
 */

/** Attributes and text of a new element. */
export interface ElOptions {
  class?: string
  text?: string
  title?: string
  attrs?: Record<string, string>
}

/** A new HTML element; `text` is set as text. */
export function el<K extends keyof HTMLElementTagNameMap> (tag: K, opts: ElOptions = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (opts.class !== undefined) e.className = opts.class
  if (opts.text !== undefined) e.textContent = opts.text
  if (opts.title !== undefined) e.title = opts.title
  for (const [k, v] of Object.entries(opts.attrs ?? {})) e.setAttribute(k, v)
  for (const c of children) e.append(c)
  return e
}

const SVG_NS = 'http://www.w3.org/2000/svg'

/** A new SVG element with presentation attributes (no `style`: the CSP forbids inline style). */
export function svg<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

/** The element with this id; throws if the page lacks it (a build mismatch). */
export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const e = document.getElementById(id)
  if (e === null) throw new Error(`dashboard: #${id} missing from index.html`)
  return e as T
}

/** Sets an element's text. */
export function setText (id: string, text: string): void {
  byId(id).textContent = text
}

/** A table row of text cells. */
export function row (cells: Array<string | Node>, cls?: string): HTMLTableRowElement {
  const tr = el('tr', cls === undefined ? {} : { class: cls })
  for (const c of cells) tr.append(typeof c === 'string' ? el('td', { text: c }) : c)
  return tr
}
