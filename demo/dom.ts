// Small DOM helpers shared by the demo's views. No framework: plain elements, always textContent.

/** The element with this id; throws when the page is missing it (a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`demo: #${id} is missing from index.html`);
  return found as T;
}

interface ElementOptions {
  className?: string;
  text?: string;
  testid?: string;
  attrs?: Record<string, string>;
}

/** Creates an element with a class, text, a data-testid and attributes in one call. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.testid) node.dataset.testid = options.testid;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Shows exactly one of the given elements. */
export function showOnly(visible: HTMLElement, all: readonly HTMLElement[]): void {
  for (const node of all) node.hidden = node !== visible;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** 14:03:07 */
export function clockTime(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 14:03:07.042, for the event log where order within a second matters. */
export function preciseTime(date: Date): string {
  return `${clockTime(date)}.${pad(date.getMilliseconds(), 3)}`;
}

/** Up to two initials for an avatar: "Ada Lovelace" -> "AL", "Guest-k3f9" -> "GK". */
export function initials(name: string): string {
  const words = name.split(/[\s_.-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [name];
  return letters.map((word) => Array.from(word ?? "")[0] ?? "").join("").toUpperCase() || "?";
}

/** A stable hue (0-359) for an id, so a person keeps their colour on every screen. */
export function hueFor(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

/** Keeps a scrollable list pinned to its end, unless the reader scrolled up. */
export function appendScrolled(list: HTMLElement, item: HTMLElement, maxItems = 500): void {
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  list.append(item);
  while (list.childElementCount > maxItems) list.firstElementChild?.remove();
  if (atEnd) list.scrollTop = list.scrollHeight;
}

/** A message whose `backticked` parts are commands to type: those are shown as <code>. */
export function withCommands(text: string): Node[] {
  return text
    .split("`")
    .map((part, i) => (i % 2 === 1 ? el("code", { className: "command", text: part }) : document.createTextNode(part)));
}
