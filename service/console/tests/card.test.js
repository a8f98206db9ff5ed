// The card builder under a minimal stand-in DOM (node --test; run by tests/test_console.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

const { FakeNode } = require("./fake_dom.js");
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

const MIXED_FEATURES = [
  { name: "bill_length", type: "numeric", min: 32.1, max: 59.6, median: 44.45, missing_share: 0.0058 },
  { name: "island", type: "categorical", categories: ["Biscoe", "Dream", "Torgersen"], missing_share: 0 },
  { name: "sex", type: "categorical", categories: ["male", "female"], missing_share: 0.032 },
];

test("the features table shows every feature's type, range or categories, and missing share", () => {
  const table = card.featuresTable(MIXED_FEATURES);
  const rows = table.findAll((n) => n.tag === "tr" && n.attributes["data-feature"]);
  const cells = rows.map((row) => row.children.map((c) => c.textContent));
  assert.deepEqual(cells, [
    ["bill_length", "numeric", "32.1 to 59.6, median 44.45", "0.6 %"],
    ["island", "categorical", "3 categories: Biscoe, Dream, Torgersen", "0.0 %"],
    ["sex", "categorical", "2 categories: male, female", "3.2 %"],
  ]);
  assert.match(table.find((n) => n.tag === "summary").textContent, /^3 features \(2 categorical\)/);
});

test("a capped categorical feature shows its 'other' level with the number of rare categories sharing it", () => {
  const capped = { name: "city", type: "categorical", categories: ["Oslo", "Lima", "other"], rare: ["Bergen", "Cusco"], missing_share: 0.25 };
  const row = card.featuresTable([capped]).find((n) => n.tag === "tr" && n.attributes["data-feature"] === "city");
  assert.deepEqual(row.children.map((c) => c.textContent),
    ["city", "categorical", "3 levels: Oslo, Lima, other (2 rarer categories)", "25.0 %"]);
});

test("a card from before feature types shows its features as numeric ranges, missing share unknown", () => {
  const table = card.featuresTable([{ name: "x", min: 0, max: 1 }]);
  const row = table.find((n) => n.tag === "tr" && n.attributes["data-feature"] === "x");
  assert.deepEqual(row.children.map((c) => c.textContent), ["x", "numeric", "0 to 1", "–"]);
  assert.ok(!table.textContent.includes("categorical"));
});

test("the card of a mixed-type model holds no stray null or undefined", () => {
  const container = new FakeNode("div");
  card.renderCard(container, aCard({ task: "classification", multilabel: false, classes: ["a", "b"],
    n_features: 3, features: MIXED_FEATURES }));
  assert.ok(!/null|undefined|NaN/.test(container.textContent));
  assert.match(container.textContent, /Biscoe, Dream, Torgersen/);
});
