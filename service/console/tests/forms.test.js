// Unit tests of the console's pure helpers (node --test; run by tests/test_console.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const forms = require("../static/forms.js");

test("parseDelimited reads quoted fields, doubled quotes, CRLF, tabs and skips blank lines", () => {
  assert.deepEqual(forms.parseDelimited('a,b\r\n1,"x, ""y"""\r\n\r\n2, z \n'), [["a", "b"], ["1", 'x, "y"'], ["2", "z"]]);
  assert.deepEqual(forms.parseDelimited("a\tb\n1\t2"), [["a", "b"], ["1", "2"]]);
  assert.throws(() => forms.parseDelimited('a\n"open'), forms.InputError);
});

test("CSV training data takes the last column as target and keeps text labels", () => {
  const data = forms.trainingData("x1,x2,label\n1,2,red\n3,4.5,blue\n");
  assert.deepEqual(data, { instances: [[1, 2], [3, 4.5]], targets: ["red", "blue"], feature_names: ["x1", "x2"] });
});

test("a named target column may sit anywhere and numeric targets stay numbers", () => {
  const data = forms.trainingData("a,y,b\n1,0.5,2\n3,-1e-2,4", "y");
  assert.deepEqual(data, { instances: [[1, 2], [3, 4]], targets: [0.5, -0.01], feature_names: ["a", "b"] });
});

for (const [name, text, target, message] of [
  ["empty", "  ", "", /paste training data/],
  ["header only", "a,b", "", /at least one data row/],
  ["one column", "y\n1\n2", "", /feature column/],
  ["unknown target", "a,b\n1,2", "c", /no column named "c"/],
  ["not a number", "a,b\n1,2\nx,3", "", /row 3, column "a": not a number/],
  ["ragged row", "a,b\n1,2\n3", "", /row 3: 1 fields, the header has 2/],
  ["bad JSON", "{nope", "", /^JSON: /],
  ["JSON without targets", '{"instances": [[1]]}', "", /expected \{"instances"/],
]) {
  test(`training data is refused with a clear message: ${name}`, () => {
    assert.throws(() => forms.trainingData(text, target), (error) => error instanceof forms.InputError && message.test(error.message));
  });
}

test("JSON training data passes instances, targets and feature names through", () => {
  const data = forms.trainingData('{"instances": [[1, 2]], "targets": ["a"], "feature_names": ["p", "q"], "x": 1}');
  assert.deepEqual(data, { instances: [[1, 2]], targets: ["a"], feature_names: ["p", "q"] });
});

test("trainRequest leaves blank options to the server and converts the others", () => {
  const blank = { hidden: "", epochs: "", learning_rate: "", activation: "", base: "scratch", activate: "if_better" };
  assert.deepEqual(forms.trainRequest("iris", "ignored", "", blank), { dataset: "iris", base: "scratch", activate: "if_better" });
  const full = forms.trainRequest("paste", "a,y\n1,0\n2,1", "", {
    hidden: "16, 8", epochs: "30", learning_rate: "0.01", activation: "tanh", base: "active", activate: "always",
  });
  assert.deepEqual(full, {
    instances: [[1], [2]], targets: [0, 1], feature_names: ["a"], hidden: [16, 8], epochs: 30,
    learning_rate: 0.01, activation: "tanh", base: "active", activate: "always",
  });
  assert.throws(() => forms.trainRequest("iris", "", "", { epochs: "2.5" }), /epochs: not a valid value/);
  assert.throws(() => forms.trainRequest("iris", "", "", { learning_rate: "0" }), /learning rate/);
  assert.throws(() => forms.trainRequest("iris", "", "", { hidden: "8,0" }), /hidden layers/);
});

test("predictRequest accepts a row, a named row, a list of rows or a whole request", () => {
  assert.deepEqual(forms.predictRequest("[1, 2]"), { instances: [[1, 2]], return_probabilities: true });
  assert.deepEqual(forms.predictRequest('{"a": 1}'), { instances: [{ a: 1 }], return_probabilities: true });
  assert.deepEqual(forms.predictRequest("[[1], [2]]"), { instances: [[1], [2]], return_probabilities: true });
  assert.deepEqual(forms.predictRequest('{"instances": [[1]], "return_probabilities": false}'),
    { instances: [[1]], return_probabilities: false });
  for (const bad of ["", "[]", "3", '["a"]', "[[1], 2]"]) assert.throws(() => forms.predictRequest(bad), forms.InputError, bad);
});

test("outOfRange names the features outside their training range", () => {
  const features = [{ name: "a", min: 0, max: 1 }, { name: "b", min: 0, max: 1 }, { name: "c", min: 0, max: 1 }];
  assert.deepEqual(forms.outOfRange([1, 1.5, -0.1], features), ["b", "c"]);
  assert.deepEqual(forms.outOfRange([NaN, 0, 0], features), []);
});

test("metricColumns lines up nested and flat metadata metrics, validation first, matrices left out", () => {
  const versions = [
    { metrics: { train: { accuracy: 1, log_loss: 0.1 }, validation: { log_loss: 0.2, accuracy: 0.9, confusion_matrix: [[1]] } } },
    { metrics: { accuracy: 0.8 } },
    { metrics: {} },
  ];
  const columns = forms.metricColumns(versions);
  assert.deepEqual(columns.map((c) => c.label),
    ["validation accuracy", "validation log_loss", "train accuracy", "train log_loss", "accuracy"]);
  assert.equal(forms.metricValue(versions[0], columns[0]), 0.9);
  assert.equal(forms.metricValue(versions[1], columns[4]), 0.8);
  assert.equal(forms.metricValue(versions[2], columns[0]), null);
});

test("errorMessage keeps the service's message, adds locations, and falls back to the status", () => {
  const body = { error: "1 validation error", code: "validation_error", detail: [{ loc: ["instances", 0], msg: "too short" }] };
  assert.equal(forms.errorMessage(422, body), "1 validation error (instances.0: too short) [HTTP 422]");
  assert.equal(forms.errorMessage(401, { error: "invalid bearer token", code: "unauthorized", detail: [] }),
    "invalid bearer token [HTTP 401]");
  assert.equal(forms.errorMessage(502, null), "HTTP 502");
});

test("addProgressPoint keeps one point per epoch in order and ignores epoch 0", () => {
  let points = [];
  points = forms.addProgressPoint(points, { epoch: 0, train_loss: null });
  points = forms.addProgressPoint(points, { epoch: 2, train_loss: 0.5, val_loss: 0.6 });
  points = forms.addProgressPoint(points, { epoch: 1, train_loss: 0.9, val_loss: null });
  points = forms.addProgressPoint(points, { epoch: 2, train_loss: 0.4, val_loss: 0.5 });
  assert.deepEqual(points, [[1, 0.9, null], [2, 0.4, 0.5]]);
});

test("abbreviate shortens long instance and target lists for display only", () => {
  const body = { instances: [[1], [2], [3], [4], [5]], targets: [1, 2], epochs: 3 };
  assert.deepEqual(forms.abbreviate(body), { instances: [[1], [2], [3], "… 2 more"], targets: [1, 2], epochs: 3 });
  assert.equal(body.instances.length, 5);
});
