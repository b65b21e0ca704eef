/** The element with data-testid `id` (the page's stable hooks double as its own handles). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T =>
  document.querySelector<T>(`[data-testid="${id}"]`)!;

export function setText(id: string, text: string, value?: string | number): void {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
  if (value !== undefined) el.dataset.value = String(value);
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
