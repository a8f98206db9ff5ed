// Just enough of a DOM for card.js and tryit.js under node: elements keep their children as
// given, attributes in a plain object, listeners by event name.
"use strict";

class FakeNode {
  constructor(tag) { this.tag = tag; this.children = []; this.attributes = {}; this.listeners = {}; }
  append(...children) { this.children.push(...children); }
  replaceChildren(...children) { this.children = children; }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; }
  addEventListener(name, listener) { this.listeners[name] = listener; }
  get textContent() {
    return this.children.map((c) => (typeof c === "string" ? c : c === null ? "null" : c.textContent || "")).join("");
  }
  set textContent(text) { this.children = [String(text)]; }
  /** Every element below this one (depth first) for which `test` holds. */
  findAll(test) {
    const found = [];
    for (const child of this.children) {
      if (!(child instanceof FakeNode)) continue;
      if (test(child)) found.push(child);
      found.push(...child.findAll(test));
    }
    return found;
  }
  find(test) { return this.findAll(test)[0]; }
}

global.document = { createElement: (tag) => new FakeNode(tag), importNode: () => new FakeNode("svg") };
global.DOMParser = class { parseFromString() { return { getElementsByTagName: () => [], documentElement: {} }; } };

module.exports = { FakeNode };
