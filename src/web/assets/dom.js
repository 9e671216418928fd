// Building the page's elements. Every piece of text goes in as a text node
// and every attribute through setAttribute: task names, arguments, results
// and tracebacks come from workers and are never parsed as HTML.

/**
 * h('td', { class: 'name', title: fullName }, text, otherNode, ...)
 * Attributes: `on<event>` takes a listener; `false`, null and undefined
 * leave the attribute out; `true` sets it empty (for `disabled`, `hidden`).
 * Children: nodes, strings (as text), numbers, and null/false (skipped);
 * arrays are flattened.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A `#/view?query` link; every part is encoded, so a task name cannot break out of it. */
export function hashLink(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, value);
  const text = params.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${text === '' ? '' : `?${text}`}`;
}
