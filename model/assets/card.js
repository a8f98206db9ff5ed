/* The model card and its learning curves as DOM, from the card JSON of GET /model (the same
 * shape the offline report embeds). Used by the console and by the report.
 *
 * Text from the API goes in with textContent only; charts come from MlpCharts as SVG strings
 * (their data already escaped) and are parsed as XML, so a malformed chart fails loudly.
 */
"use strict";

const MlpCard = (() => {
  const charts = typeof MlpCharts !== "undefined" ? MlpCharts : require("./charts.js");
  const fmt = charts.formatNumber;

  /** An element: el("p", {className: "x"}, "text", child, ...); strings become text nodes. */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key in node && typeof value !== "string") node[key] = value;
      else if (key === "className" || key === "textContent" || key === "htmlFor") node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(typeof child === "string" ? child : child);
    }
    return node;
  }

  /** An SVG string from MlpCharts as a node. */
  function svg(markup) {
    const parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    if (parsed.getElementsByTagName("parsererror").length > 0) throw new Error("chart markup is not valid SVG");
    return document.importNode(parsed.documentElement, true);
  }

  function figure(markup, caption) {
    return el("figure", { className: "chart-figure" }, svg(markup), caption ? el("figcaption", {}, caption) : null);
  }

  function facts(pairs) {
    const list = el("dl", { className: "facts" });
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("div", {}, el("dt", {}, term), el("dd", {}, String(value))));
    }
    return list;
  }

  function taskText(card) {
    const outputs = card.architecture.layer_sizes[card.architecture.layer_sizes.length - 1];
    if (card.task === "regression") return `regression (${outputs} target${outputs === 1 ? "" : "s"})`;
    const n = (card.classes || []).length;
    return `${card.multilabel ? "multi-label classification" : "classification"} (${n} ${card.multilabel ? "labels" : "classes"})`;
  }

  function trainingText(training) {
    const history = training.history;
    if (!history || !history.epochs) return null;
    const configured = training.config ? training.config.epochs : null;
    const run = history.epochs.length;
    return `${run}${configured ? ` of ${configured}` : ""} epochs, ${String(history.stop_reason).replace(/_/g, " ")}, best ${history.best_epoch}`;
  }

  function optimizerText(config) {
    if (!config) return null;
    return `${config.optimizer}, learning rate ${fmt(config.learning_rate)}, batch ${config.batch_size}, L2 ${fmt(config.l2)}`;
  }

  /** The metrics of a card as a table: one row per part (validation...), one column per metric. */
  function metricsTable(metrics) {
    const parts = Object.entries(metrics || {}).filter(([, values]) => values && typeof values === "object");
    const names = [...new Set(parts.flatMap(([, values]) =>
      Object.keys(values).filter((k) => typeof values[k] === "number")))];
    if (names.length === 0) return el("p", { className: "muted" }, "No metrics recorded.");
    const head = el("tr", {}, el("th", { scope: "col" }, "rows"), names.map((n) => el("th", { scope: "col" }, n)));
    const body = parts.map(([part, values]) => el("tr", {}, el("th", { scope: "row" }, part),
      names.map((n) => el("td", { className: "number" }, fmt(values[n], 4)))));
    return el("table", { className: "metrics" }, el("thead", {}, head), el("tbody", {}, body));
  }

  /** A feature's training values in words: its range (and median), or its categories. */
  function valuesText(feature) {
    if (feature.type === "categorical") {
      const categories = (feature.categories || []).map(String);
      const rare = (feature.rare || []).length;
      if (rare === 0) return `${categories.length} categor${categories.length === 1 ? "y" : "ies"}: ${categories.join(", ")}`;
      // The last level is "other", shared by the rare categories (capped at max_categories).
      const shown = [...categories.slice(0, -1), `${categories[categories.length - 1]} (${rare} rarer categor${rare === 1 ? "y" : "ies"})`];
      return `${categories.length} levels: ${shown.join(", ")}`;
    }
    const median = typeof feature.median === "number" ? `, median ${fmt(feature.median, 4)}` : "";
    return `${fmt(feature.min, 4)} to ${fmt(feature.max, 4)}${median}`;
  }

  /** Every feature's type, training range or categories, and share of missing values in training. */
  function featuresTable(features) {
    const rows = features.map((f) => el("tr", { "data-feature": f.name }, el("th", { scope: "row" }, f.name),
      el("td", {}, f.type === "categorical" ? "categorical" : "numeric"),
      el("td", { className: "values" }, valuesText(f)),
      el("td", { className: "number" }, typeof f.missing_share === "number" ? charts.formatPercent(f.missing_share) : "–")));
    const table = el("table", { className: "features" },
      el("thead", {}, el("tr", {}, ["feature", "type", "training values", "missing"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows));
    const categorical = features.filter((f) => f.type === "categorical").length;
    const kinds = categorical ? ` (${categorical} categorical)` : "";
    return el("details", { open: features.length <= 12 },
      el("summary", {}, `${features.length} features${kinds}: type, training range or categories, missing share`), table);
  }

  /** Fill `container` with the card: facts, architecture, data summary, metrics, confusion matrix. */
  function renderCard(container, card) {
    const arch = card.architecture;
    const training = card.training || {};
    // No figure for a regressor or a multi-label model: leave it out (replaceChildren would print "null").
    container.replaceChildren(...[
      facts([
        ["Version", card.version],
        ["Status", card.active ? "active (serving)" : "stored, not active"],
        ["Task", taskText(card)],
        ["Targets", card.target_names ? card.target_names.join(", ") : null],
        ["Created", card.created_at],
        ["Layers", arch.layer_sizes.join(" → ")],
        ["Activation", arch.activation],
        ["Output and loss", String(arch.output_loss).replace(/_/g, " ")],
        ["Parameters", arch.n_parameters],
        ["Training rows", training.n_samples],
        ["Training", trainingText(training)],
        ["Optimizer", optimizerText(training.config)],
      ]),
      el("h3", {}, "Architecture"),
      figure(charts.architectureDiagram(arch.layer_sizes,
        { activation: arch.activation, outputLoss: arch.output_loss, nFeatures: card.n_features })),
      el("h3", {}, "Training data"),
      el("p", {}, `${training.n_samples ?? "?"} rows, ${card.n_features} features` +
        (card.classes ? `, ${card.classes.length} classes: ` : "."), card.classes ? classList(card.classes) : null),
      featuresTable(card.features),
      el("h3", {}, "Metrics"),
      metricsTable(card.metrics),
      confusionFigure(card),
    ].filter((part) => part !== null));
  }

  function classList(classes) {
    return el("span", { className: "classes" }, classes.map(String).join(", "));
  }

  function confusionFigure(card) {
    const matrix = card.metrics && card.metrics.validation && card.metrics.validation.confusion_matrix;
    if (!matrix || !card.classes) return null;
    return figure(charts.confusionHeatMap(matrix, card.classes.map(String), { title: "Confusion matrix (validation rows)" }),
      "Rows: true class; columns: predicted class. Shade: share of the true class's rows; number: count.");
  }

  /** Fill `container` with the loss and metric charts of a saved training history. */
  function renderCurves(container, history) {
    if (!history || !history.epochs || history.epochs.length === 0) {
      container.replaceChildren(el("p", { className: "muted" }, "This model has no saved training history."));
      return;
    }
    const curves = charts.learningCurves(history);
    container.replaceChildren(
      el("div", { className: "chart-row" }, figure(curves.loss), figure(curves.metric)),
      el("p", { className: "muted" },
        `${history.epochs.length} epochs; stopped: ${String(history.stop_reason).replace(/_/g, " ")}; ` +
        `best weights from epoch ${history.best_epoch}.`),
    );
  }

  return { el, svg, figure, facts, metricsTable, featuresTable, renderCard, renderCurves };
})();

if (typeof module === "object" && module.exports) module.exports = MlpCard;
