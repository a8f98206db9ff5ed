// Unit tests of the chart builders (node --test; run by tests/test_console.py).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const charts = require("../../../model/assets/charts.js");

/** A small XML well-formedness check: balanced tags, no raw "<" or stray "&" in text. */
function assertWellFormed(svg) {
  const stack = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const match of svg.matchAll(tag)) {
    const between = svg.slice(last, match.index);
    assert.ok(!between.includes("<") && !/&(?!(amp|lt|gt|quot|#39);)/.test(between), `bad text: ${between}`);
    last = match.index + match[0].length;
    const [, closing, name, , selfClosing] = match;
    if (closing) assert.equal(stack.pop(), name);
    else if (!selfClosing) stack.push(name);
  }
  assert.equal(svg.slice(last), "");
  assert.deepEqual(stack, []);
}

const count = (text, pattern) => (text.match(pattern) || []).length;
const HOSTILE = `<script>alert("x")</script> & 'q'`;

const HISTORY = {
  metric_name: "accuracy",
  best_epoch: 3,
  stop_reason: "early_stopping",
  epochs: [1, 2, 3, 4].map((epoch) => ({
    epoch, train_loss: 1 / epoch, val_loss: 1.2 / epoch, val_metric: 0.5 + epoch / 10, learning_rate: 0.001, seconds: 0.01,
  })),
};

test("escapeXml escapes the five XML special characters", () => {
  assert.equal(charts.escapeXml(`<a href="x">&'</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
});

test("formatNumber gives three significant digits and exponents for extreme values", () => {
  assert.equal(charts.formatNumber(0.123456), "0.123");
  assert.equal(charts.formatNumber(12), "12");
  assert.equal(charts.formatNumber(0.00001234), "1.23e-5");
  assert.equal(charts.formatNumber(null), "–");
  assert.equal(charts.formatNumber(0.97912, 4), "0.9791");
});

test("niceTicks covers the range with round, evenly spaced values", () => {
  for (const [low, high] of [[0, 1], [0.43, 1.07], [1, 200], [-3, 7], [5, 5]]) {
    const ticks = charts.niceTicks(low, high, 5);
    assert.ok(ticks[0] <= low && ticks[ticks.length - 1] >= high, `${ticks} covers ${low}..${high}`);
    const steps = new Set(ticks.slice(1).map((t, i) => Number((t - ticks[i]).toPrecision(6))));
    assert.equal(steps.size, 1);
    assert.match(String([...steps][0]), /^(1|2|2\.5|5)(0*|e[+-]?\d+)$|^0\.0*(1|2|25|5)$/);
  }
});

test("learningCurves draws one line per series, with a point per epoch and the best epoch marked", () => {
  const { loss, metric } = charts.learningCurves(HISTORY);
  for (const svg of [loss, metric]) assertWellFormed(svg);
  assert.equal(count(loss, /class="series series-train"/g), 1);
  assert.equal(count(loss, /class="series series-validation"/g), 1);
  const trainPath = loss.match(/series-train" d="([^"]+)"/)[1];
  assert.equal(count(trainPath, /[ML]/g), 4);
  assert.match(loss, /best epoch 3/);
  assert.match(metric, /Validation accuracy per epoch/);
  assert.match(metric, />1\.00<\/text>/, "accuracy is drawn on a 0..1 axis");
  assert.match(metric, />0\.00<\/text>/);
});

test("a missing value breaks the line instead of dropping to zero", () => {
  const svg = charts.lineChart({
    title: "t", series: [{ name: "a", style: "train", points: [[1, 1], [2, null], [3, 2], [4, 3]] }],
  });
  const path = svg.match(/series-train" d="([^"]+)"/)[1];
  assert.equal(count(path, /M/g), 2);
  assert.equal(count(path, /L/g), 1);
});

test("a history without validation rows says so instead of drawing an empty metric chart", () => {
  const history = { ...HISTORY, epochs: HISTORY.epochs.map((e) => ({ ...e, val_loss: null, val_metric: null })) };
  const { loss, metric } = charts.learningCurves(history);
  assert.match(metric, /no validation rows/);
  assert.equal(count(loss, /class="series /g), 1);
  assertWellFormed(metric);
});

test("architectureDiagram draws every unit of narrow layers and elides wide ones", () => {
  const svg = charts.architectureDiagram([4, 16, 8, 3], { activation: "relu", outputLoss: "softmax_cross_entropy" });
  assertWellFormed(svg);
  assert.equal(count(svg, /class="unit"/g), 4 + 8 + 8 + 3);
  assert.equal(count(svg, /⋮/g), 1);
  for (const label of ["4 features", "16 units", "8 units", "3 units", "relu", "softmax", "hidden 1", "hidden 2"]) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
  const encoded = charts.architectureDiagram([5, 8, 3], { nFeatures: 2 });
  assert.ok(encoded.includes(">5 inputs<") && encoded.includes(">from 2 features<"), "one-hot inputs outnumber the features");
  assert.ok(charts.architectureDiagram([4, 3], { nFeatures: 4 }).includes(">4 features<"));
  const linear = charts.architectureDiagram([64, 10]);
  assert.equal(count(linear, /class="unit"/g), 8 + 8);
});

test("confusionHeatMap has one cell per pair with readable counts", () => {
  const matrix = [[5, 1, 0], [0, 7, 2], [0, 0, 9]];
  const svg = charts.confusionHeatMap(matrix, ["setosa", "versicolor", "virginica"]);
  assertWellFormed(svg);
  assert.equal(count(svg, /class="cell"/g), 9);
  const cells = [...svg.matchAll(/<rect class="cell"[^>]*fill="(#[0-9a-f]{6})"[\s\S]*?<\/rect><text[^>]*fill="(#[0-9a-f]{6})"[^>]*>(\d+)</g)];
  assert.deepEqual(cells.map((m) => Number(m[3])), matrix.flat());
  for (const [, fill, ink] of cells) assert.ok(charts.contrastRatio(fill, ink) >= 4.5, `${ink} on ${fill}`);
  assert.notEqual(cells[0][1], cells[1][1], "shades differ with the share of the row");
});

test("probabilityBars draws bars in proportion and highlights the predicted class", () => {
  const svg = charts.probabilityBars(["a", "b", "c"], [0.2, 0.7, 0.1], "b");
  assertWellFormed(svg);
  const widths = [...svg.matchAll(/class="bar[^"]*" x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(widths, [60, 210, 30]);
  assert.equal(count(svg, /class="bar predicted"/g), 1);
  assert.match(svg, /70\.0 %/);
  assert.match(svg, /aria-label="Class probabilities; highest: b 70\.0 %"/);
});

test("labels from the API are escaped in every chart", () => {
  const outputs = [
    charts.confusionHeatMap([[1, 0], [0, 1]], [HOSTILE, "b"], { title: HOSTILE }),
    charts.probabilityBars([HOSTILE, "b"], [0.5, 0.5], HOSTILE),
    charts.lineChart({ title: HOSTILE, series: [{ name: HOSTILE, style: "train", points: [[1, 1], [2, 2]] }] }),
  ];
  for (const svg of outputs) {
    assertWellFormed(svg);
    assert.ok(!svg.includes("<script"), "no raw tag");
  }
});

test("the palette's text colours meet WCAG AA contrast on white", () => {
  const { COLORS } = charts;
  for (const name of ["text", "muted", "train", "validation", "metric", "barPredicted"]) {
    assert.ok(charts.contrastRatio(COLORS[name], "#ffffff") >= 4.5, name);
  }
  assert.equal(Math.round(charts.contrastRatio("#000000", "#ffffff")), 21);
});
