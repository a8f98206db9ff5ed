/* The console's "Try it" section as DOM: one field per feature of the model card (a number
 * field, or for a categorical feature a text field offering the training categories), the row
 * they make, and the /predict answer with its flags. No fetch: console.js does the calls.
 *
 * API text reaches the DOM through textContent (MlpCard.el) only.
 */
"use strict";

const MlpTry = (() => {
  const card = typeof MlpCard !== "undefined" ? MlpCard : require("../../../model/assets/card.js");
  const charts = typeof MlpCharts !== "undefined" ? MlpCharts : require("../../../model/assets/charts.js");
  const forms = typeof MlpForms !== "undefined" ? MlpForms : require("./forms.js");
  const { el, figure } = card;
  const fmt = (value) => charts.formatNumber(value, 4);

  /** The field's default text: the most frequent category, the training median or mid-range. */
  function typicalValue(feature) {
    if (forms.featureType(feature) === "categorical") return forms.knownCategories(feature)[0] ?? "";
    const typical = Number.isFinite(feature.median) ? feature.median : (feature.min + feature.max) / 2;
    return Number.isFinite(typical) ? String(Number(typical.toPrecision(4))) : "";
  }

  function hintText(feature) {
    if (forms.featureType(feature) === "categorical") {
      const n = forms.knownCategories(feature).length;
      return `${n} training categor${n === 1 ? "y" : "ies"} offered; other text allowed; empty: missing`;
    }
    return `training range ${fmt(feature.min)} to ${fmt(feature.max)}; empty: missing`;
  }

  /** What a field's flag says, in words (the flag is never shown by colour alone). */
  function flagText(feature, kind) {
    if (kind === "invalid") return "not a number";
    if (kind === "out_of_range") return "outside the training range";
    if (kind === "unknown_category") return "not a training category";
    if (kind !== "missing") return "";
    if (forms.featureType(feature) === "categorical") return "missing (a level of its own)";
    return Number.isFinite(feature.median) ? `missing: imputed with the median ${fmt(feature.median)}` : "missing";
  }

  /**
   * The field of feature `j`: label, input (with a datalist of categories for a categorical
   * feature), hint and a live flag. The input carries data-feature="j".
   */
  function featureField(feature, j) {
    const id = `feature-${j}`;
    const categorical = forms.featureType(feature) === "categorical";
    const input = el("input", {
      id, value: typicalValue(feature), "aria-describedby": `${id}-hint ${id}-flag`, "aria-invalid": "false",
      "data-feature": String(j),
      ...(categorical
        ? { type: "text", list: `${id}-categories`, autocomplete: "off", spellcheck: "false" }
        : { type: "number", step: "any" }),
    });
    const flag = el("small", { id: `${id}-flag`, className: "flag", "aria-live": "polite" });
    input.addEventListener("input", () => showFieldFlag(input, flag, feature));
    const options = categorical
      ? el("datalist", { id: `${id}-categories` }, forms.knownCategories(feature).map((c) => el("option", { value: c })))
      : null;
    return el("div", { className: "field" },
      el("label", { htmlFor: id }, feature.name), input, options,
      el("small", { id: `${id}-hint`, className: "hint" }, hintText(feature)), flag);
  }

  /** Mark the input and say why, as the person types: missing, out of range, unknown category. */
  function showFieldFlag(input, flag, feature) {
    let kind;
    try {
      kind = forms.fieldFlag(feature, forms.fieldValue(feature, input.value, Boolean(input.validity && input.validity.badInput)));
    } catch (error) {
      kind = "invalid";
    }
    const warning = kind === "invalid" || kind === "out_of_range" || kind === "unknown_category";
    input.setAttribute("aria-invalid", warning ? "true" : "false");
    input.setAttribute("data-flag", kind || "");
    flag.textContent = flagText(feature, kind);
  }

  /** The fields of every feature of the card. */
  function buildFields(model) {
    return model.features.map(featureField);
  }

  /** The row the fields make, one value per feature (null: missing); throws forms.InputError. */
  function readRow(features, inputs) {
    return features.map((feature, j) => forms.fieldValue(feature, inputs[j].value,
      Boolean(inputs[j].validity && inputs[j].validity.badInput)));
  }

  /** The /predict answer: the first prediction, its probabilities, the flags, and a table for several rows. */
  function resultView(body, result) {
    const first = result.predictions[0];
    const parts = [
      el("p", { className: "prediction" }, "Prediction: ",
        el("strong", { id: "prediction-value" }, Array.isArray(first) ? JSON.stringify(first) : String(first))),
    ];
    if (result.probabilities && result.classes) {
      parts.push(figure(charts.probabilityBars(result.classes.map(String), result.probabilities[0], first)));
      parts.push(el("ul", { className: "visually-hidden", id: "probability-list" },
        result.classes.map((c, i) => el("li", { "data-class": String(c), "data-probability": String(result.probabilities[0][i]) },
          `${c}: ${charts.formatPercent(result.probabilities[0][i])}`))));
    }
    for (const message of forms.flagMessages(result, body.instances.length)) {
      parts.push(el("p", { className: "message flag-message", "data-kind": "warning", "data-flag": message.key, id: message.id },
        message.text));
    }
    if (result.predictions.length > 1) parts.push(resultsTable(result));
    return parts;
  }

  function resultsTable(result) {
    const head = el("tr", {}, ["row", "prediction", result.probabilities ? "top probability" : null, "flags"]
      .filter(Boolean).map((h) => el("th", { scope: "col" }, h)));
    const rows = result.predictions.map((p, i) => el("tr", {},
      el("td", { className: "number" }, String(i)),
      el("td", {}, Array.isArray(p) ? JSON.stringify(p) : String(p)),
      result.probabilities ? el("td", { className: "number" }, charts.formatPercent(Math.max(...result.probabilities[i]))) : null,
      el("td", {}, forms.rowFlags(result, i))));
    return el("table", {}, el("thead", {}, head), el("tbody", {}, rows));
  }

  return { typicalValue, flagText, featureField, buildFields, readRow, resultView };
})();

if (typeof module === "object" && module.exports) module.exports = MlpTry;
