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
  ["ragged row", "a,b\n1,2\n3", "", /row 3: 1 fields, the header has 2/],
  ["bad JSON", "{nope", "", /^JSON: /],
  ["JSON without targets", '{"instances": [[1]]}', "", /expected \{"instances"/],
]) {
  test(`training data is refused with a clear message: ${name}`, () => {
    assert.throws(() => forms.trainingData(text, target), (error) => error instanceof forms.InputError && message.test(error.message));
  });
}

test("CSV training cells become numbers, text for categories, and null for empty cells", () => {
  const data = forms.trainingData("size,island,sex,mass\n3.5,Biscoe,,4200\n,Dream,female,\nNA,1,male,3800\n");
  assert.deepEqual(data.instances, [[3.5, "Biscoe", null], [null, "Dream", "female"], ["NA", 1, "male"]]);
  assert.deepEqual(data.targets, [4200, null, 3800], "an empty target is missing; the others stay numbers");
  assert.deepEqual(forms.trainingData("x,label\n1,red\n2,\n").targets, ["red", null]);
});

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
  const typed = forms.trainRequest("paste", "zip,y\n1001,0\n2002,1", "", { ...blank, categorical: " zip, grade ," });
  assert.deepEqual(typed.feature_types, { zip: "categorical", grade: "categorical" });
  assert.deepEqual(typed.instances, [[1001], [2002]], "the service, not the page, applies the types");
  assert.equal(forms.trainRequest("iris", "", "", { ...blank, categorical: "zip" }).feature_types, undefined);
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
  for (const bad of ["", "[]", "3", "[[1], 2]", "[[1, [2]]]", '[1, {"a": 1}]']) assert.throws(() => forms.predictRequest(bad), forms.InputError, bad);
});

test("predictRequest passes strings (categories) and nulls (missing) through", () => {
  assert.deepEqual(forms.predictRequest('[1.5, "Biscoe", null]'), { instances: [[1.5, "Biscoe", null]], return_probabilities: true });
  assert.deepEqual(forms.predictRequest('["a"]'), { instances: [["a"]], return_probabilities: true });
  assert.deepEqual(forms.predictRequest('[{"x": null, "island": "Dream"}, [2, "Biscoe"]]'),
    { instances: [{ x: null, island: "Dream" }, [2, "Biscoe"]], return_probabilities: true });
});

const NUMERIC = { name: "mass", type: "numeric", min: 2700, max: 6300, median: 4050, missing_share: 0.01 };
const OLD_NUMERIC = { name: "width", min: 0, max: 1 };
const CATEGORICAL = { name: "island", type: "categorical", categories: ["Biscoe", "Dream"], missing_share: 0 };

test("an empty field is missing (null) for numeric and categorical features alike", () => {
  for (const feature of [NUMERIC, OLD_NUMERIC, CATEGORICAL]) {
    for (const empty of ["", "  ", undefined]) assert.equal(forms.fieldValue(feature, empty), null, `${feature.name} ${empty}`);
  }
});

test("a numeric field sends a number; one the browser or the parser cannot read is refused by name", () => {
  assert.equal(forms.fieldValue(NUMERIC, "4100.5"), 4100.5);
  assert.equal(forms.fieldValue(OLD_NUMERIC, "-1e-3"), -0.001);
  assert.throws(() => forms.fieldValue(NUMERIC, "", true), (e) => e instanceof forms.InputError && e.message === "mass: not a number");
  assert.throws(() => forms.fieldValue(NUMERIC, "12kg"), (e) => e instanceof forms.InputError && e.message === "mass: not a number");
});

test("a categorical field sends its text as typed, known or not", () => {
  assert.equal(forms.fieldValue(CATEGORICAL, "Dream"), "Dream");
  assert.equal(forms.fieldValue(CATEGORICAL, "Atlantis "), "Atlantis ");
  assert.equal(forms.fieldValue(CATEGORICAL, "12"), "12");
});

const CAPPED = { name: "city", type: "categorical", categories: ["Oslo", "Lima", "other"], rare: ["Bergen"], missing_share: 0 };

test("knownCategories lists the categories and the rare ones sharing the 'other' level, not 'other' itself", () => {
  assert.deepEqual(forms.knownCategories(CAPPED), ["Oslo", "Lima", "Bergen"]);
  assert.deepEqual(forms.knownCategories(CATEGORICAL), ["Biscoe", "Dream"]);
  assert.deepEqual(forms.knownCategories({ name: "n", type: "categorical", categories: [1, true] }), ["1", "true"]);
});

for (const [name, feature, value, flag] of [
  ["a rare category (it takes the 'other' level)", CAPPED, "Bergen", null],
  ["the name of the 'other' level", CAPPED, "other", "unknown_category"],
  ["a known category", CATEGORICAL, "Biscoe", null],
  ["an unknown category", CATEGORICAL, "Atlantis", "unknown_category"],
  ["a missing category", CATEGORICAL, null, "missing"],
  ["a number within range", NUMERIC, 4000, null],
  ["a number above range", NUMERIC, 7000, "out_of_range"],
  ["a number of an old card below range", OLD_NUMERIC, -1, "out_of_range"],
  ["a missing number", NUMERIC, null, "missing"],
]) {
  test(`fieldFlag flags ${name} as ${flag}`, () => {
    assert.equal(forms.fieldFlag(feature, value), flag);
  });
}

const FLAGGED = {
  out_of_range: [{ row: 0, features: ["mass"] }],
  unknown_categories: [{ row: 1, features: ["island", "sex"] }],
  missing: [{ row: 0, features: ["sex"] }, { row: 2, features: ["mass"] }],
};

test("flagMessages says each kind of flag in words, naming rows only for several rows", () => {
  const messages = forms.flagMessages(FLAGGED, 3);
  assert.deepEqual(messages.map((m) => [m.key, m.id]),
    [["out_of_range", "out-of-range"], ["unknown_categories", "unknown-categories"], ["missing", "missing-values"]]);
  assert.match(messages[0].text, /^Outside the training range: row 0: mass\. /);
  assert.match(messages[1].text, /^Categories not seen in training: row 1: island, sex\. /);
  assert.match(messages[2].text, /^Missing values: row 0: sex; row 2: mass\. /);
  const single = forms.flagMessages({ out_of_range: [], unknown_categories: [{ row: 0, features: ["island"] }], missing: [] }, 1);
  assert.equal(single.length, 1);
  assert.match(single[0].text, /^Categories not seen in training: island\. /);
});

test("an answer from before categorical features (out_of_range only) still shows its flags", () => {
  const old = { predictions: [1], out_of_range: [{ row: 0, features: ["width"] }] };
  assert.deepEqual(forms.flagMessages(old, 1).map((m) => m.key), ["out_of_range"]);
  assert.equal(forms.rowFlags(old, 0), "out of range: width");
  assert.deepEqual(forms.flagMessages({ predictions: [1], out_of_range: [] }, 1), []);
});

test("rowFlags lists one row's flags by kind, in words", () => {
  assert.equal(forms.rowFlags(FLAGGED, 0), "out of range: mass; missing: sex");
  assert.equal(forms.rowFlags(FLAGGED, 1), "unknown category: island, sex");
  assert.equal(forms.rowFlags(FLAGGED, 3), "");
});

test("outOfRange names the features outside their training range", () => {
  const features = [{ name: "a", min: 0, max: 1 }, { name: "b", min: 0, max: 1 }, { name: "c", min: 0, max: 1 }];
  assert.deepEqual(forms.outOfRange([1, 1.5, -0.1], features), ["b", "c"]);
  assert.deepEqual(forms.outOfRange([NaN, 0, 0], features), []);
  assert.deepEqual(forms.outOfRange([5, "x"], [{ name: "a", min: 0, max: 1 }, CATEGORICAL]), ["a"]);
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
