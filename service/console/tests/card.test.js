// The card builder under a minimal stand-in DOM (node --test; run by tests/test_console.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

/** Just enough of a DOM for card.js: elements keep their children as given. */
class FakeNode {
  constructor(tag) { this.tag = tag; this.children = []; this.attributes = {}; }
  append(...children) { this.children.push(...children); }
  replaceChildren(...children) { this.children = children; }
  setAttribute(name, value) { this.attributes[name] = value; }
  get textContent() {
    return this.children.map((c) => (typeof c === "string" ? c : c === null ? "null" : c.textContent || "")).join("");
  }
}
global.document = { createElement: (tag) => new FakeNode(tag), importNode: () => new FakeNode("svg") };
global.DOMParser = class { parseFromString() { return { getElementsByTagName: () => [], documentElement: {} }; } };
const card = require("../../../model/assets/card.js");

function aCard(fields) {
  return {
    version: "v1", active: true, created_at: "2025-01-01", n_features: 1, features: [{ name: "x", min: 0, max: 1 }],
    architecture: { layer_sizes: [1, 4, 2], activation: "relu", output_loss: "identity_squared_error", n_parameters: 18 },
    training: { n_samples: 10, config: null, history: null },
    metrics: { validation: { mse: 0.5, r2: 0.9 } },
    ...fields,
  };
}

for (const [name, fields] of [
  ["a regressor", { task: "regression", multilabel: false, classes: null, target_names: ["height", "width"] }],
  ["a multi-label model", { task: "classification", multilabel: true, classes: ["a", "b"], target_names: ["a", "b"] }],
  ["a classifier of many classes (no confusion matrix)", { task: "classification", multilabel: false, classes: ["x", "y"] }],
]) {
  test(`the card of ${name} holds no stray null`, () => {
    const container = new FakeNode("div");
    card.renderCard(container, aCard(fields));
    assert.ok(container.children.every((child) => child !== null && child !== undefined));
    assert.ok(!container.textContent.includes("null"));
  });
}

test("the card names a model's targets", () => {
  const container = new FakeNode("div");
  card.renderCard(container, aCard({ task: "regression", multilabel: false, classes: null, target_names: ["height", "width"] }));
  assert.match(container.textContent, /Targetsheight, width/);
});
