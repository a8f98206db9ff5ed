// The "Try it" section's DOM builders under a stand-in DOM (node --test; run by tests/test_console.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { FakeNode } = require("./fake_dom.js");
const tryit = require("../static/tryit.js");

const NUMERIC = { name: "mass", type: "numeric", min: 2700, max: 6300, median: 4050, missing_share: 0.01 };
const CATEGORICAL = { name: "island", type: "categorical", categories: ["Biscoe", "Dream", "Torgersen"], missing_share: 0 };
const byTag = (tag) => (n) => n.tag === tag;

/** A field's input as the browser gives it to the console: its text and validity. */
function typed(field, text, badInput = false) {
  const input = field.find(byTag("input"));
  input.value = text;
  input.validity = { badInput };
  input.listeners.input();
  return input;
}

test("a categorical field offers its training categories in a datalist and allows other text", () => {
  const field = tryit.featureField(CATEGORICAL, 1);
  const input = field.find(byTag("input"));
  const list = field.find(byTag("datalist"));
  assert.equal(input.attributes.type, "text");
  assert.equal(input.attributes.list, "feature-1-categories");
  assert.equal(list.attributes.id, "feature-1-categories");
  assert.deepEqual(list.findAll(byTag("option")).map((o) => o.attributes.value), ["Biscoe", "Dream", "Torgersen"]);
  assert.equal(input.attributes.value, "Biscoe", "the most frequent category first");
  assert.equal(field.find(byTag("label")).textContent, "island");
});

test("a numeric field is a number input starting at the training median, without a datalist", () => {
  const field = tryit.featureField(NUMERIC, 0);
  const input = field.find(byTag("input"));
  assert.equal(input.attributes.type, "number");
  assert.equal(input.attributes.value, "4050");
  assert.equal(field.find(byTag("datalist")), undefined);
  assert.equal(tryit.typicalValue({ name: "old", min: 0, max: 3 }), "1.5", "cards without a median: mid-range");
});

for (const [name, feature, text, badInput, invalid, flag] of [
  ["an empty numeric field", NUMERIC, "", false, "false", "missing: imputed with the median 4050"],
  ["a number above the range", NUMERIC, "9000", false, "true", "outside the training range"],
  ["text the browser cannot read as a number", NUMERIC, "", true, "true", "not a number"],
  ["a number within the range", NUMERIC, "4000", false, "false", ""],
  ["an unknown category", CATEGORICAL, "Atlantis", false, "true", "not a training category"],
  ["an empty categorical field", CATEGORICAL, "", false, "false", "missing (a level of its own)"],
  ["a known category", CATEGORICAL, "Dream", false, "false", ""],
]) {
  test(`typing ${name} says so in words next to the field`, () => {
    const field = tryit.featureField(feature, 0);
    const input = typed(field, text, badInput);
    const note = field.find((n) => n.attributes.id === "feature-0-flag");
    assert.equal(note.textContent, flag);
    assert.equal(input.attributes["aria-invalid"], invalid);
    assert.ok(input.attributes["aria-describedby"].split(" ").includes("feature-0-flag"));
  });
}

test("readRow sends numbers, category text, and null for empty fields", () => {
  const features = [NUMERIC, CATEGORICAL, NUMERIC, CATEGORICAL];
  const inputs = ["4100", "Dream", "", ""].map((value) => ({ value, validity: { badInput: false } }));
  assert.deepEqual(tryit.readRow(features, inputs), [4100, "Dream", null, null]);
  inputs[0].validity.badInput = true;
  assert.throws(() => tryit.readRow(features, inputs), /mass: not a number/);
});

const ANSWER = {
  model_version: "v1", predictions: ["Adelie", "Gentoo"], classes: ["Adelie", "Gentoo"],
  probabilities: [[0.9, 0.1], [0.2, 0.8]],
  out_of_range: [{ row: 1, features: ["mass"] }],
  unknown_categories: [{ row: 0, features: ["island"] }],
  missing: [{ row: 0, features: ["mass"] }],
};

test("the result shows each kind of flag as a labelled message and in the rows' flags column", () => {
  const container = new FakeNode("div");
  container.replaceChildren(...tryit.resultView({ instances: [[null, "Atlantis"], [9000, "Dream"]] }, ANSWER));
  const messages = container.findAll((n) => n.attributes["data-flag"]);
  assert.deepEqual(messages.map((m) => m.attributes.id), ["out-of-range", "unknown-categories", "missing-values"]);
  assert.match(messages[1].textContent, /^Categories not seen in training: row 0: island\./);
  const flags = container.find(byTag("tbody")).children.map((row) => row.children.at(-1).textContent);
  assert.deepEqual(flags, ["unknown category: island; missing: mass", "out of range: mass"]);
  assert.equal(container.find((n) => n.attributes.id === "prediction-value").textContent, "Adelie");
});

test("a result without flags shows no flag message", () => {
  const parts = tryit.resultView({ instances: [[1]] }, { predictions: [2.5], out_of_range: [] });
  const container = new FakeNode("div");
  container.replaceChildren(...parts);
  assert.deepEqual(container.findAll((n) => n.attributes["data-flag"]), []);
  assert.ok(!/null|undefined/.test(container.textContent));
});
