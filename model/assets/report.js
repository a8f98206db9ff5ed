/* The offline report's start-up (inlined by model/report.py, with charts.js and card.js): draw
 * the card and learning curves from the embedded JSON, then the training run's summary.
 */
"use strict";

(() => {
  const { el, facts, figure, metricsTable, renderCard, renderCurves } = MlpCard;
  const data = JSON.parse(document.getElementById("report-data").textContent);
  renderCard(document.getElementById("card"), data.card);
  renderCurves(document.getElementById("curves"), data.card.training && data.card.training.history);
  const run = data.run;
  if (!run) return;
  const rows = run.rows || {};
  const parts = [
    facts([
      ["Dataset", run.dataset],
      ["Target", (run.target || []).join(", ")],
      ["Rows", `${rows.train} train, ${rows.validation} validation, ${rows.test} test`],
      ["Epochs", `${run.epochs_run} (${String(run.stop_reason).replace(/_/g, " ")}, best ${run.best_epoch})`],
      ["Fit time", run.timings ? `${MlpCharts.formatNumber(run.timings.fit_s)} s` : null],
      ["Published", `${run.version}${run.active ? " (active)" : " (not active)"}`],
    ]),
    el("h3", {}, "Metrics by part"),
    metricsTable(run.metrics),
  ];
  if (run.confusion_matrix && run.classes) {
    parts.push(figure(MlpCharts.confusionHeatMap(run.confusion_matrix, run.classes.map(String),
      { title: "Confusion matrix (test rows)" }), "Rows: true class; columns: predicted class."));
  }
  document.getElementById("run").replaceChildren(...parts);
  document.getElementById("run-section").hidden = false;
})();
