/* The web console: wires the page to the service's public JSON API (GET /ready, /model,
 * /models, /models/<v>, /train/<id>; POST /predict, /train, /models/<v>/activate; DELETE
 * /train/<id>). Nothing else: the page is a working example of the API.
 *
 * The API token lives only in its password field (read at each call): never stored, never
 * put in a URL. API text reaches the DOM through textContent (MlpCard.el) only.
 */
"use strict";

(() => {
  const { el, figure, renderCard, renderCurves, metricsTable } = MlpCard;
  const forms = MlpForms;
  const charts = MlpCharts;
  const tryit = MlpTry;
  const POLL_MS = 300;
  const SWAP_WAIT_MS = 5000;
  const $ = (id) => document.getElementById(id);
  let card = null;
  let activeJob = null;

  class ApiError extends Error {
    constructor(status, body) {
      super(forms.errorMessage(status, body));
      this.status = status;
      this.body = body;
    }
  }

  /** One API call; the parsed JSON body, or an ApiError carrying the service's message. */
  async function api(method, path, body, { auth = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) {
      const token = $("token").value.trim();
      if (!token) {
        $("token").focus();
        throw new Error("enter the API token first (field at the top of the page)");
      }
      headers.Authorization = `Bearer ${token}`;
    }
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function say(id, message, kind = "info") {
    const box = $(id);
    box.textContent = message;
    box.dataset.kind = kind;
  }

  function showCall(id, method, path, body) {
    const text = `${method} ${path}${body === undefined ? "" : `\n${JSON.stringify(forms.abbreviate(body), null, 1)}`}`;
    $(id).textContent = text;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ------------------------------------------------------------ status, model card, curves
  async function loadReadiness() {
    const pill = $("ready");
    try {
      const ready = await api("GET", "/ready");
      pill.textContent = `serving ${ready.model_version}`;
      pill.dataset.kind = "ok";
    } catch (error) {
      pill.textContent = error.body && error.body.reason ? `not ready: ${error.body.reason}` : "not ready";
      pill.dataset.kind = "error";
    }
  }

  async function loadModel() {
    try {
      card = await api("GET", "/model");
    } catch (error) {
      card = null;
      $("card").replaceChildren(el("p", { className: "message", "data-kind": "error" }, error.message));
      $("curves").replaceChildren();
      $("try-fields").replaceChildren(el("p", { className: "muted" }, "No model is loaded."));
      return;
    }
    renderCard($("card"), card);
    renderCurves($("curves"), card.training && card.training.history);
    buildTryForm(card);
  }

  /** Reload what depends on the active model, once GET /model serves `version` (hot swap). */
  async function refreshAfterSwap(version) {
    const deadline = Date.now() + SWAP_WAIT_MS;
    while (Date.now() < deadline) {
      const served = await api("GET", "/model").catch(() => null);
      if (served && served.version === version) break;
      await sleep(200);
    }
    await Promise.all([loadModel(), loadReadiness(), loadVersions()]);
  }

  // ------------------------------------------------------------ try it
  function buildTryForm(model) {
    $("try-fields").replaceChildren(...tryit.buildFields(model));
    $("try-result").replaceChildren();
    say("try-message", "");
  }

  function predictForm() {
    const inputs = card.features.map((_, j) => $(`feature-${j}`));
    try {
      predict({ instances: [tryit.readRow(card.features, inputs)], return_probabilities: true });
    } catch (error) {
      say("try-message", error.message, "error");
    }
  }

  async function predict(body) {
    showCall("try-call", "POST", "/predict", body);
    say("try-message", "Predicting…");
    try {
      const result = await api("POST", "/predict", body);
      say("try-message", `Answered by version ${result.model_version}.`, "ok");
      $("try-result").replaceChildren(...tryit.resultView(body, result));
    } catch (error) {
      say("try-message", error.message, "error");
      $("try-result").replaceChildren();
    }
  }

  // ------------------------------------------------------------ versions
  async function loadVersions() {
    let list;
    try {
      list = await api("GET", "/models");
    } catch (error) {
      say("versions-message", error.message, "error");
      return;
    }
    const versions = [...list.versions].reverse();  // newest first
    const columns = forms.metricColumns(versions);
    const head = el("tr", {}, el("th", { scope: "col" }, "version"), el("th", { scope: "col" }, "created"),
      columns.map((c) => el("th", { scope: "col", className: "number" }, c.label)), el("th", { scope: "col" }, "status"));
    const rows = versions.map((v) => el("tr", { "data-version": v.version, className: v.active ? "active" : "" },
      el("th", { scope: "row" }, el("code", {}, v.version)),
      el("td", {}, v.created_at.replace("T", " ").slice(0, 19)),
      columns.map((c) => el("td", { className: "number" }, charts.formatNumber(forms.metricValue(v, c), 4))),
      el("td", {}, v.active ? el("span", { className: "badge" }, "active") : activateButton(v.version))));
    $("versions").replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
  }

  function activateButton(version) {
    const button = el("button", { type: "button", className: "secondary", "aria-label": `Activate version ${version}` }, "Activate");
    button.addEventListener("click", () => activate(version, button));
    return button;
  }

  async function activate(version, button) {
    showCall("versions-call", "POST", `/models/${version}/activate`);
    button.disabled = true;
    try {
      const answer = await api("POST", `/models/${encodeURIComponent(version)}/activate`, undefined, { auth: true });
      say("versions-message", `Version ${answer.active} is active (was ${answer.previous ?? "none"}).`, "ok");
      await refreshAfterSwap(answer.active);
    } catch (error) {
      say("versions-message", error.message, "error");
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------ training
  async function startTraining(event) {
    event.preventDefault();
    if (activeJob) return;
    let body;
    try {
      body = forms.trainRequest($("train-source").value, $("train-data").value, $("train-target").value, {
        hidden: $("train-hidden").value, epochs: $("train-epochs").value,
        learning_rate: $("train-learning-rate").value, activation: $("train-activation").value,
        base: $("train-base").value, activate: $("train-activate").value, categorical: $("train-categorical").value,
      });
    } catch (error) {
      say("train-message", error.message, "error");
      return;
    }
    showCall("train-call", "POST", "/train", body);
    say("train-message", "Submitting…");
    $("train-result").replaceChildren();
    try {
      const accepted = await api("POST", "/train", body, { auth: true });
      activeJob = { id: accepted.job_id, points: [], epochs: body.epochs || 0 };
      setRunning(true);
      await watch(activeJob);
    } catch (error) {
      say("train-message", error.message, "error");
    } finally {
      activeJob = null;
      setRunning(false);
    }
  }

  function setRunning(running) {
    $("train-start").disabled = running;
    $("train-cancel").disabled = !running;
    $("train-progress-box").hidden = !running && $("train-progress-box").dataset.used !== "yes";
    if (running) $("train-progress-box").dataset.used = "yes";
  }

  async function watch(job) {
    let failures = 0;
    for (;;) {
      let record;
      try {
        record = await api("GET", `/train/${job.id}`, undefined, { auth: true });
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= 5 || (error instanceof ApiError && error.status < 500)) throw error;
        await sleep(POLL_MS * 2);
        continue;
      }
      showProgress(job, record);
      if (!["queued", "running"].includes(record.status)) {
        await finish(record);
        return;
      }
      await sleep(POLL_MS);
    }
  }

  function showProgress(job, record) {
    const progress = record.progress;
    job.points = forms.addProgressPoint(job.points, progress);
    const bar = $("train-progress");
    bar.max = Math.max(1, progress.epochs || job.epochs || 1);
    bar.value = record.status === "succeeded" ? bar.max : progress.epoch;
    const loss = progress.train_loss === null || progress.train_loss === undefined ? "" :
      `, loss ${charts.formatNumber(progress.train_loss, 4)}` +
      (progress.val_metric === null || progress.val_metric === undefined ? "" :
        `, validation ${progress.metric_name} ${charts.formatNumber(progress.val_metric, 4)}`);
    $("train-status").textContent = `Job ${record.job_id}: ${record.status}, epoch ${progress.epoch} of ${progress.epochs || "?"}${loss}`;
    $("train-status").dataset.status = record.status;
    $("train-chart").replaceChildren(figure(charts.lineChart({
      title: "Loss so far",
      xLabel: "epoch",
      yLabel: "loss",
      series: [
        { name: "training", style: "train", points: job.points.map(([e, t]) => [e, t]) },
        { name: "validation", style: "validation", points: job.points.map(([e, , v]) => [e, v]) },
      ],
      empty: "waiting for the first epoch",
    })));
  }

  async function finish(record) {
    if (record.status !== "succeeded") {
      say("train-message", `Job ${record.status}${record.error ? `: ${record.error}` : "."}`, record.status === "cancelled" ? "warning" : "error");
      return;
    }
    const result = record.result;
    const activated = result.activated ? "activated" : "not activated";
    say("train-message", `Job succeeded: version ${result.version}, ${activated} (${result.activation_reason}).`, "ok");
    const parts = [el("h3", {}, `Version ${result.version}`), metricsTable(result.metrics)];
    if (result.comparison) {
      const c = result.comparison;
      const active = c.active_loss === null ? "not comparable"
        : `${charts.formatNumber(c.active_loss, 4)} (${c.metric} ${charts.formatNumber(c.active, 4)})`;
      parts.push(el("p", {}, `Compared on ${c.rows} held-out rows by ${c.loss} (lower is better): ` +
        `new ${charts.formatNumber(c.new_loss, 4)} (${c.metric} ${charts.formatNumber(c.new, 4)}), active ${active}.`));
    }
    try {
      const trained = await api("GET", `/models/${encodeURIComponent(result.version)}`);
      const history = trained.training && trained.training.history;
      if (history && history.epochs) {
        // Progress is sampled while the job runs; the saved history has every epoch.
        $("train-status").textContent = `Job ${record.job_id}: succeeded after ${history.epochs.length} epochs ` +
          `(${String(history.stop_reason).replace(/_/g, " ")}).`;
        $("train-progress").value = $("train-progress").max;
      }
      const curves = el("div");
      renderCurves(curves, history);
      parts.push(curves);
    } catch (error) {
      parts.push(el("p", { className: "message", "data-kind": "error" }, error.message));
    }
    $("train-result").replaceChildren(...parts);
    if (result.activated) await refreshAfterSwap(result.version);
    else await loadVersions();
  }

  async function cancelTraining() {
    if (!activeJob) return;
    showCall("train-call", "DELETE", `/train/${activeJob.id}`);
    try {
      await api("DELETE", `/train/${activeJob.id}`, undefined, { auth: true });
    } catch (error) {
      say("train-message", error.message, "error");
    }
  }

  function syncSource() {
    const pasted = $("train-source").value === "paste";
    $("train-data").disabled = !pasted;
    $("train-target").disabled = !pasted;
    $("train-categorical").disabled = !pasted;
  }

  // ------------------------------------------------------------ start
  function start() {
    $("token-form").addEventListener("submit", (event) => event.preventDefault());
    $("try-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (card) predictForm();
    });
    $("try-reset").addEventListener("click", () => card && buildTryForm(card));
    $("json-form").addEventListener("submit", (event) => {
      event.preventDefault();
      try {
        predict(forms.predictRequest($("json-input").value));
      } catch (error) {
        say("try-message", error.message, "error");
      }
    });
    $("train-form").addEventListener("submit", startTraining);
    $("train-cancel").addEventListener("click", cancelTraining);
    $("train-source").addEventListener("change", syncSource);
    $("versions-refresh").addEventListener("click", loadVersions);
    syncSource();
    loadReadiness();
    loadModel();
    loadVersions();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
