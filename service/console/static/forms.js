/* Pure helpers of the console: turn what a person types into public-API request bodies, and
 * API answers into what the page shows. No DOM, no fetch: node's test runner covers them
 * (service/console/tests/forms.test.js).
 */
"use strict";

const MlpForms = (() => {
  class InputError extends Error {}

  /** Rows of a CSV (or tab-separated) text: quoted fields, "" inside quotes, blank lines skipped. */
  function parseDelimited(textValue) {
    const source = String(textValue).replace(/\r\n?/g, "\n");
    const firstLine = source.split("\n", 1)[0];
    const delimiter = firstLine.includes("\t") && !firstLine.includes(",") ? "\t" : ",";
    const rows = [];
    let row = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < source.length; i += 1) {
      const c = source[i];
      if (quoted) {
        if (c === '"' && source[i + 1] === '"') {
          field += '"';
          i += 1;
        } else if (c === '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c === '"' && field === "") {
        quoted = true;
      } else if (c === delimiter) {
        row.push(field);
        field = "";
      } else if (c === "\n") {
        row.push(field);
        rows.push(row);
        row = [];
        field = "";
      } else {
        field += c;
      }
    }
    if (quoted) throw new InputError("CSV: a quoted field is not closed");
    row.push(field);
    rows.push(row);
    return rows.map((r) => r.map((f) => f.trim())).filter((r) => r.some((f) => f !== ""));
  }

  function toNumber(textValue) {
    if (textValue === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(textValue)) return null;
    return Number(textValue);
  }

  /**
   * Training data from pasted text: JSON {"instances": [...], "targets": [...]} (optionally
   * "feature_names"), or CSV with a header row whose target column is `targetName` (default:
   * the last column). CSV cells become numbers, text or null (empty: missing); the service
   * types the columns. Returns {instances, targets, feature_names?}; throws InputError.
   */
  function trainingData(textValue, targetName = "") {
    const trimmed = String(textValue).trim();
    if (trimmed === "") throw new InputError("paste training data: CSV with a header row, or JSON");
    if (trimmed.startsWith("{")) return trainingDataFromJson(trimmed);
    const rows = parseDelimited(trimmed);
    if (rows.length < 2) throw new InputError("CSV: need a header row and at least one data row");
    const header = rows[0];
    const target = targetName.trim() === "" ? header.length - 1 : header.indexOf(targetName.trim());
    if (target < 0) throw new InputError(`CSV: no column named "${targetName.trim()}" in the header`);
    if (header.length < 2) throw new InputError("CSV: need at least one feature column and a target column");
    const featureNames = header.filter((_, j) => j !== target);
    const instances = [];
    const rawTargets = [];
    rows.slice(1).forEach((row, i) => {
      if (row.length !== header.length) {
        throw new InputError(`CSV row ${i + 2}: ${row.length} fields, the header has ${header.length}`);
      }
      instances.push(row.filter((_, j) => j !== target).map(cellValue));
      rawTargets.push(row[target]);
    });
    const numeric = rawTargets.map(toNumber);
    const targets = numeric.every((v, i) => v !== null || rawTargets[i] === "") ? numeric
      : rawTargets.map((t) => (t === "" ? null : t));
    return { instances, targets, feature_names: featureNames };
  }

  /** A CSV cell as the API takes it: a number, text (a category; the service reads NA and the like), or null when empty. */
  function cellValue(field) {
    if (field === "") return null;
    const value = toNumber(field);
    return value === null ? field : value;
  }

  function trainingDataFromJson(textValue) {
    let body;
    try {
      body = JSON.parse(textValue);
    } catch (error) {
      throw new InputError(`JSON: ${error.message}`);
    }
    if (!Array.isArray(body.instances) || !Array.isArray(body.targets)) {
      throw new InputError('JSON: expected {"instances": [...], "targets": [...]}');
    }
    const data = { instances: body.instances, targets: body.targets };
    if (body.feature_names !== undefined) data.feature_names = body.feature_names;
    return data;
  }

  /** "16, 8" -> [16, 8]; "" -> undefined (server default); throws InputError. */
  function parseHidden(textValue) {
    const trimmed = String(textValue).trim();
    if (trimmed === "") return undefined;
    const widths = trimmed.split(/[\s,]+/).filter(Boolean).map(Number);
    if (!widths.every((w) => Number.isInteger(w) && w >= 1)) {
      throw new InputError("hidden layers: whole numbers of at least 1, separated by commas (e.g. 16,8)");
    }
    return widths;
  }

  /**
   * The POST /train body. source: "paste" or a bundled dataset name; options: strings from the
   * form {hidden, epochs, learning_rate, activation, base, activate, categorical}; blank means
   * the server's default. `categorical`: comma-separated columns forced categorical
   * (feature_types); the others' types are inferred by the service.
   */
  function trainRequest(source, pasted, targetName, options) {
    const body = source === "paste" ? trainingData(pasted, targetName) : { dataset: source };
    const hidden = parseHidden(options.hidden || "");
    if (hidden !== undefined) body.hidden = hidden;
    const numbers = { epochs: Number.isInteger, learning_rate: (v) => v > 0 };
    for (const [name, valid] of Object.entries(numbers)) {
      const raw = String(options[name] ?? "").trim();
      if (raw === "") continue;
      const value = toNumber(raw);
      if (value === null || !valid(value)) throw new InputError(`${name.replace("_", " ")}: not a valid value`);
      body[name] = value;
    }
    const categorical = String(options.categorical ?? "").split(",").map((name) => name.trim()).filter(Boolean);
    if (source === "paste" && categorical.length > 0) body.feature_types = Object.fromEntries(categorical.map((name) => [name, "categorical"]));
    if (options.activation) body.activation = options.activation;
    if (options.base) body.base = options.base;
    if (options.activate) body.activate = options.activate;
    return body;
  }

  /**
   * The POST /predict body from pasted JSON: a full request {"instances": ...}, one row (a
   * list of values or an object by feature name), or a list of rows. A value is a number, a
   * string (a category) or null (missing).
   */
  function predictRequest(textValue) {
    let value;
    try {
      value = JSON.parse(String(textValue));
    } catch (error) {
      throw new InputError(`JSON: ${error.message}`);
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "instances" in value) {
      return { return_probabilities: true, ...value };
    }
    const isCell = (v) => v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean";
    const isRow = (r) => (Array.isArray(r) && r.every(isCell)) ||
      (r !== null && typeof r === "object" && !Array.isArray(r));
    if (isRow(value) && !(Array.isArray(value) && value.length === 0)) {
      return { instances: [value], return_probabilities: true };
    }
    if (Array.isArray(value) && value.length > 0 && value.every(isRow)) {
      return { instances: value, return_probabilities: true };
    }
    throw new InputError("JSON: expected a row ([...] or {name: value}), a list of rows, or {\"instances\": ...}");
  }

  /** Names of features whose value lies outside the training range [min, max]. */
  function outOfRange(values, features) {
    return features.filter((f, j) => featureType(f) === "numeric" && Number.isFinite(values[j]) &&
      (values[j] < f.min || values[j] > f.max)).map((f) => f.name);
  }

  /** A card feature's type; cards from before categorical features have none: numeric. */
  function featureType(feature) {
    return feature.type === "categorical" ? "categorical" : "numeric";
  }

  /**
   * The values a categorical feature knows: its categories and the rare ones sharing its
   * "other" level. A card lists that level last in `categories` when `rare` is not empty.
   */
  function knownCategories(feature) {
    const categories = (feature.categories || []).map(String);
    const rare = (feature.rare || []).map(String);
    return rare.length > 0 ? [...categories.slice(0, -1), ...rare] : categories;
  }

  /**
   * The value a form field sends for its feature: a number (numeric), the text as typed
   * (categorical), or null when the field is empty (missing). `badInput`: the browser could not
   * read the field as a number. Throws InputError naming the feature.
   */
  function fieldValue(feature, text, badInput = false) {
    const raw = String(text ?? "");
    if (featureType(feature) === "categorical") return raw.trim() === "" ? null : raw;
    if (badInput) throw new InputError(`${feature.name}: not a number`);
    if (raw.trim() === "") return null;
    const value = toNumber(raw.trim());
    if (value === null) throw new InputError(`${feature.name}: not a number`);
    return value;
  }

  /**
   * What a field's value will be flagged as, before predicting: "missing", "out_of_range",
   * "unknown_category" (not among the card's categories) or null.
   */
  function fieldFlag(feature, value) {
    if (value === null) return "missing";
    if (featureType(feature) === "categorical") {
      return knownCategories(feature).includes(String(value)) ? null : "unknown_category";
    }
    return outOfRange([value], [feature]).length > 0 ? "out_of_range" : null;
  }

  /** The result's three kinds of flags, each {row, features} lists (absent in older answers). */
  const FLAG_KINDS = [
    { key: "out_of_range", id: "out-of-range", short: "out of range",
      label: "Outside the training range", note: "The prediction is an extrapolation." },
    { key: "unknown_categories", id: "unknown-categories", short: "unknown category",
      label: "Categories not seen in training", note: "Encoded as none of the known categories." },
    { key: "missing", id: "missing-values", short: "missing",
      label: "Missing values", note: "Numbers are filled in with the training median; a missing category is a level of its own." },
  ];

  /**
   * One sentence per kind of flag present in a /predict answer: [{key, id, text}]. Rows are
   * named only when the request had several.
   */
  function flagMessages(result, nRows) {
    return FLAG_KINDS.filter((kind) => (result[kind.key] || []).length > 0).map((kind) => {
      const rows = result[kind.key].map((r) => `${nRows > 1 ? `row ${r.row}: ` : ""}${r.features.join(", ")}`);
      return { key: kind.key, id: kind.id, text: `${kind.label}: ${rows.join("; ")}. ${kind.note}` };
    });
  }

  /** The flags of row `row` of a /predict answer in a few words ("" when none). */
  function rowFlags(result, row) {
    return FLAG_KINDS.map((kind) => {
      const entry = (result[kind.key] || []).find((r) => r.row === row);
      return entry ? `${kind.short}: ${entry.features.join(", ")}` : null;
    }).filter(Boolean).join("; ");
  }

  const PART_ORDER = ["validation", "test", "train"];
  const METRIC_ORDER = ["accuracy", "r2", "log_loss", "mse", "mae"];

  function rank(order, name) {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  }

  /**
   * The metric columns of the versions table: [{part, metric, label}], from every version's
   * metadata metrics, nested ({validation: {accuracy}}) or flat ({accuracy}); confusion
   * matrices and other non-numbers are left out.
   */
  function metricColumns(versions) {
    const seen = new Map();
    for (const v of versions) {
      for (const [key, value] of Object.entries(v.metrics || {})) {
        if (typeof value === "number") {
          seen.set(`\u0000${key}`, { part: null, metric: key, label: key });
        } else if (value && typeof value === "object") {
          for (const [metric, number] of Object.entries(value)) {
            if (typeof number === "number") seen.set(`${key}\u0000${metric}`, { part: key, metric, label: `${key} ${metric}` });
          }
        }
      }
    }
    return [...seen.values()].sort((a, b) =>
      rank(PART_ORDER, a.part) - rank(PART_ORDER, b.part) ||
      rank(METRIC_ORDER, a.metric) - rank(METRIC_ORDER, b.metric) ||
      String(a.label).localeCompare(String(b.label)));
  }

  function metricValue(version, column) {
    const metrics = version.metrics || {};
    const value = column.part === null ? metrics[column.metric] : (metrics[column.part] || {})[column.metric];
    return typeof value === "number" ? value : null;
  }

  /** One line from an API error body {error, code, detail: [{loc, msg}]} and its status. */
  function errorMessage(status, body) {
    if (!body || typeof body.error !== "string") return `HTTP ${status}`;
    const details = (body.detail || []).slice(0, 3).map((d) => `${(d.loc || []).join(".")}: ${d.msg}`);
    const extra = details.filter((d) => !body.error.includes(d.split(": ").slice(1).join(": ")));
    return `${body.error}${extra.length ? ` (${extra.join("; ")})` : ""} [HTTP ${status}]`;
  }

  /** The job's loss points so far, one per epoch seen while polling: [[epoch, train, val], ...]. */
  function addProgressPoint(points, progress) {
    if (!progress || !(progress.epoch > 0) || progress.train_loss === null || progress.train_loss === undefined) return points;
    const kept = points.filter(([epoch]) => epoch !== progress.epoch);
    kept.push([progress.epoch, progress.train_loss, progress.val_loss ?? null]);
    return kept.sort((a, b) => a[0] - b[0]);
  }

  /** A request body for display: long instance and target lists shortened. */
  function abbreviate(body) {
    const shown = { ...body };
    for (const key of ["instances", "targets"]) {
      if (Array.isArray(shown[key]) && shown[key].length > 3) {
        shown[key] = [...shown[key].slice(0, 3), `… ${shown[key].length - 3} more`];
      }
    }
    return shown;
  }

  return {
    InputError,
    parseDelimited,
    trainingData,
    parseHidden,
    trainRequest,
    predictRequest,
    outOfRange,
    featureType,
    knownCategories,
    fieldValue,
    fieldFlag,
    FLAG_KINDS,
    flagMessages,
    rowFlags,
    metricColumns,
    metricValue,
    errorMessage,
    addProgressPoint,
    abbreviate,
  };
})();

if (typeof module === "object" && module.exports) module.exports = MlpForms;
