// Small DOM helpers: build elements without innerHTML, so no event field can ever be read as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Sets attributes and children on an element. `text` sets textContent; `class` the class list. */
function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = String(value);
    else if (name === 'class') element.setAttribute('class', value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element. */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** The element with this id (throws when the page lacks it: a bug, not a state). */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing element #${id}`);
  return element;
}

/** Sets the text of the element with this id. */
export function setText(id, text) {
  byId(id).textContent = text;
}

/** Replaces a table body's rows; an empty list shows one row saying so. */
export function fillRows(tbody, rows, emptyText, columns) {
  if (rows.length === 0) {
    tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: columns, text: emptyText })));
    return;
  }
  tbody.replaceChildren(...rows);
}
