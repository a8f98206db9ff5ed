/* Chart and diagram builders: pure functions from data to SVG strings.
 *
 * One implementation for the web console (served by the service) and for the offline report
 * that `mlp-train --report FILE` writes (which inlines this file). No DOM, no globals read:
 * node's test runner exercises every function (service/console/tests/charts.test.js).
 *
 * Every text that comes from data (feature names, class labels, titles) passes through
 * escapeXml; numbers go through formatNumber. Colours are SVG presentation attributes, so an
 * SVG renders the same without the console's stylesheet and under a strict CSP (no style="").
 */
"use strict";

const MlpCharts = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FONT = 'font-family="system-ui, sans-serif"';
  const COLORS = {
    text: "#1b1f24",
    muted: "#4a5560",
    grid: "#dde3ea",
    axis: "#6b7682",
    train: "#1f5fa8",
    validation: "#a4461a",
    metric: "#2e6b30",
    node: "#ffffff",
    nodeStroke: "#1f5fa8",
    edge: "#c5ced8",
    bar: "#6b87ad",
    barPredicted: "#1f5fa8",
    heatLow: "#f2f6fb",
    heatHigh: "#0b3d7a",
  };
  const SERIES_STYLE = {
    train: { color: COLORS.train, dash: "" },
    validation: { color: COLORS.validation, dash: "6 4" },
    metric: { color: COLORS.metric, dash: "" },
  };

  const XML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  /** Text safe inside SVG/HTML text and attribute values. */
  function escapeXml(value) {
    return String(value).replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
  }

  /** A short human form of a number: 3 significant digits, exponent for tiny or huge values. */
  function formatNumber(value, digits = 3) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
    if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
    const magnitude = Math.abs(value);
    if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(digits - 1);
    return String(Number(value.toPrecision(digits)));
  }

  function truncate(text, length) {
    const s = String(text);
    return s.length > length ? `${s.slice(0, length - 1)}…` : s;
  }

  /** About `count` round tick values covering [low, high] (both finite). */
  function niceTicks(low, high, count = 5) {
    if (!(high > low)) {
      const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
      return niceTicks(low - pad, high + pad, count);
    }
    const raw = (high - low) / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const first = Math.floor(low / step + 1e-9) * step;
    const ticks = [];
    for (let v = first; v <= high + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
    if (ticks[ticks.length - 1] < high - step * 1e-6) ticks.push(Number((first + ticks.length * step).toPrecision(12)));
    return ticks;
  }

  function tickLabel(value, step) {
    let decimals = 0;
    while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals += 1;
    return Math.abs(value) >= 1e5 || (value !== 0 && Math.abs(value) < 1e-4)
      ? formatNumber(value)
      : value.toFixed(decimals);
  }

  function svgOpen(width, height, label, className) {
    return (
      `<svg xmlns="${SVG_NS}" class="chart ${escapeXml(className)}" viewBox="0 0 ${width} ${height}" ` +
      `width="${width}" height="${height}" role="img" aria-label="${escapeXml(label)}" ${FONT}>` +
      `<title>${escapeXml(label)}</title>`
    );
  }

  function text(x, y, content, attrs = "") {
    return `<text x="${round(x)}" y="${round(y)}" ${attrs}>${escapeXml(content)}</text>`;
  }

  function round(v) {
    return Math.round(v * 10) / 10;
  }

  /**
   * A line chart.
   * spec: {title, xLabel, yLabel, series: [{name, style: "train"|"validation"|"metric",
   *        points: [[x, y|null], ...]}], yDomain?: [low, high], marker?: {x, label},
   *        width?, height?, empty?: message when no point is drawable}
   * A null y breaks the line.
   */
  function lineChart(spec) {
    const width = spec.width || 540;
    const height = spec.height || 260;
    const margin = { left: 58, right: 16, top: 40, bottom: 44 };
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const drawable = spec.series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
    let out = svgOpen(width, height, spec.title, "line-chart");
    out += text(margin.left, 18, spec.title, `font-size="14" font-weight="600" fill="${COLORS.text}"`);
    if (drawable.length === 0) {
      out += text(width / 2, height / 2, spec.empty || "no data yet", `font-size="13" fill="${COLORS.muted}" text-anchor="middle"`);
      return `${out}</svg>`;
    }
    const xs = drawable.map(([x]) => x);
    const ys = drawable.map(([, y]) => y);
    const [yLow, yHigh] = spec.yDomain || [Math.min(...ys), Math.max(...ys)];
    const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), Math.min(6, Math.max(1, new Set(xs).size - 1)));
    const yTicks = niceTicks(Math.min(yLow, ...ys), Math.max(yHigh, ...ys), 4);
    const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
    const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
    const px = (x) => margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
    const py = (y) => margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
    const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
    const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;
    for (const t of yTicks) {
      out += `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${round(py(t))}" y2="${round(py(t))}" stroke="${COLORS.grid}"/>`;
      out += text(margin.left - 6, py(t) + 4, tickLabel(t, yStep), `font-size="11" fill="${COLORS.muted}" text-anchor="end"`);
    }
    for (const t of xTicks) {
      out += text(px(t), margin.top + plotH + 16, tickLabel(t, xStep), `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`);
    }
    out += `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="${COLORS.axis}"/>`;
    out += text(margin.left + plotW / 2, height - 6, spec.xLabel || "", `font-size="12" fill="${COLORS.muted}" text-anchor="middle"`);
    out += text(14, margin.top + plotH / 2, spec.yLabel || "",
      `font-size="12" fill="${COLORS.muted}" text-anchor="middle" transform="rotate(-90 14 ${round(margin.top + plotH / 2)})"`);
    if (spec.marker && Number.isFinite(spec.marker.x)) {
      const mx = round(px(spec.marker.x));
      out += `<line class="marker" x1="${mx}" x2="${mx}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="${COLORS.axis}" stroke-dasharray="2 3"/>`;
      const right = mx > margin.left + plotW * 0.7;
      out += text(right ? mx - 4 : mx + 4, margin.top - 5, spec.marker.label || "",
        `font-size="11" fill="${COLORS.muted}" text-anchor="${right ? "end" : "start"}"`);
    }
    let legendX = width - margin.right;
    for (const series of [...spec.series].reverse()) {
      const style = SERIES_STYLE[series.style] || SERIES_STYLE.train;
      const path = linePath(series.points, px, py);
      if (path) {
        out += `<path class="series series-${escapeXml(series.style)}" d="${path}" fill="none" stroke="${style.color}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/>`;
        const finite = series.points.filter(([, y]) => Number.isFinite(y));
        if (finite.length === 1) {
          const [x, y] = finite[0];
          out += `<circle cx="${round(px(x))}" cy="${round(py(y))}" r="3" fill="${style.color}"/>`;
        }
      }
      const label = String(series.name);
      legendX -= 7 * label.length + 34;
      out += `<line x1="${legendX}" x2="${legendX + 22}" y1="14" y2="14" stroke="${style.color}" stroke-width="2"${style.dash ? ` stroke-dasharray="${style.dash}"` : ""}/>`;
      out += text(legendX + 26, 18, label, `font-size="12" fill="${COLORS.text}"`);
    }
    return `${out}</svg>`;
  }

  function linePath(points, px, py) {
    let d = "";
    let pen = false;
    for (const [x, y] of points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${round(px(x))} ${round(py(y))} `;
      pen = true;
    }
    return d.trim();
  }

  /**
   * The two learning-curve charts of a saved history ({metric_name, best_epoch, stop_reason,
   * epochs: [{epoch, train_loss, val_loss, val_metric}]}): {loss, metric} SVG strings.
   */
  function learningCurves(history, options = {}) {
    const epochs = (history && history.epochs) || [];
    const metricName = (history && history.metric_name) || "metric";
    const best = history && history.best_epoch;
    const marker = Number.isFinite(best) && epochs.length > 1 ? { x: best, label: `best epoch ${best}` } : null;
    const pick = (key) => epochs.map((e) => [e.epoch, e[key] ?? null]);
    const loss = lineChart({
      title: options.lossTitle || "Loss per epoch",
      xLabel: "epoch",
      yLabel: "loss",
      series: [
        { name: "training", style: "train", points: pick("train_loss") },
        { name: "validation", style: "validation", points: pick("val_loss") },
      ],
      marker,
      empty: "no epochs recorded",
    });
    const bounded = metricName === "accuracy";
    const metric = lineChart({
      title: options.metricTitle || `Validation ${metricName} per epoch`,
      xLabel: "epoch",
      yLabel: metricName,
      series: [{ name: `validation ${metricName}`, style: "metric", points: pick("val_metric") }],
      yDomain: bounded ? [0, 1] : undefined,
      marker,
      empty: "no validation rows: no per-epoch metric",
    });
    return { loss, metric };
  }

  /**
   * The network drawn as columns of units, input to output. layerSizes: [n_inputs, ...hidden,
   * n_outputs]; options.nFeatures: the features the inputs encode (when fewer than the inputs,
   * the input column says so). Wide layers show their first and last units around an ellipsis.
   */
  function architectureDiagram(layerSizes, options = {}) {
    const sizes = layerSizes.map(Number);
    const maxShown = 9;
    const width = options.width || Math.max(360, 130 * sizes.length);
    const height = 300;
    const top = 24;
    const spacing = 22;
    const columnX = (i) => 60 + (i * (width - 120)) / Math.max(1, sizes.length - 1);
    const shown = sizes.map((n) => (n <= maxShown ? [...Array(n).keys()] : [0, 1, 2, 3, -1, n - 4, n - 3, n - 2, n - 1]));
    const unitY = (count, k) => top + (height - 100) / 2 - ((count - 1) * spacing) / 2 + k * spacing;
    const label = `Network: ${sizes.join(" → ")} units (input, ${sizes.length - 2} hidden, output)`;
    let out = svgOpen(width, height, label, "architecture");
    let edges = "";
    for (let i = 0; i + 1 < sizes.length; i += 1) {
      shown[i].forEach((a, ka) => {
        shown[i + 1].forEach((b, kb) => {
          if (a < 0 || b < 0) return;
          edges += `M${round(columnX(i))} ${round(unitY(shown[i].length, ka))}L${round(columnX(i + 1))} ${round(unitY(shown[i + 1].length, kb))}`;
        });
      });
    }
    out += `<path d="${edges}" stroke="${COLORS.edge}" stroke-width="0.7" fill="none"/>`;
    const names = layerNames(sizes, options);
    sizes.forEach((n, i) => {
      const x = columnX(i);
      shown[i].forEach((unit, k) => {
        const y = unitY(shown[i].length, k);
        out += unit < 0
          ? text(x, y + 5, "⋮", `font-size="16" fill="${COLORS.muted}" text-anchor="middle"`)
          : `<circle class="unit" cx="${round(x)}" cy="${round(y)}" r="7" fill="${COLORS.node}" stroke="${COLORS.nodeStroke}" stroke-width="1.5"/>`;
      });
      const [title, count, detail] = names[i];
      out += `<g class="layer" text-anchor="middle">`;
      out += text(x, height - 58, title, `font-size="12" font-weight="600" fill="${COLORS.text}"`);
      out += text(x, height - 40, count, `font-size="12" fill="${COLORS.text}"`);
      if (detail) out += text(x, height - 22, detail, `font-size="11" fill="${COLORS.muted}"`);
      out += "</g>";
    });
    return `${out}</svg>`;
  }

  function layerNames(sizes, options) {
    const last = sizes.length - 1;
    const head = options.outputLoss ? String(options.outputLoss).split("_")[0] : "";
    return sizes.map((n, i) => {
      if (i === 0 && options.nFeatures !== undefined && options.nFeatures !== n) {
        // One-hot levels and "was missing" indicators widen the input beyond the features.
        return ["input", `${n} input${n === 1 ? "" : "s"}`, `from ${options.nFeatures} feature${options.nFeatures === 1 ? "" : "s"}`];
      }
      if (i === 0) return ["input", `${n} feature${n === 1 ? "" : "s"}`, ""];
      if (i === last) return ["output", `${n} unit${n === 1 ? "" : "s"}`, head];
      return [last > 2 ? `hidden ${i}` : "hidden", `${n} unit${n === 1 ? "" : "s"}`, options.activation || ""];
    });
  }

  /** WCAG relative luminance of "#rrggbb". */
  function luminance(hex) {
    const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  /** WCAG contrast ratio of two "#rrggbb" colours (1 to 21). */
  function contrastRatio(a, b) {
    const [high, low] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (high + 0.05) / (low + 0.05);
  }

  function mix(a, b, t) {
    const channel = (hex, i) => parseInt(hex.slice(i, i + 2), 16);
    const parts = [1, 3, 5].map((i) => Math.round(channel(a, i) + (channel(b, i) - channel(a, i)) * t));
    return `#${parts.map((p) => p.toString(16).padStart(2, "0")).join("")}`;
  }

  /** Black or white, whichever reads better on `fill`. */
  function textOn(fill) {
    return contrastRatio(fill, "#000000") >= contrastRatio(fill, "#ffffff") ? "#000000" : "#ffffff";
  }

  /**
   * A confusion matrix as a heat map: rows are true classes, columns predicted; a cell's shade
   * is its share of the true class's rows, its text the count.
   */
  function confusionHeatMap(matrix, labels, options = {}) {
    const n = matrix.length;
    const cell = Math.max(24, Math.min(48, Math.floor(420 / Math.max(1, n))));
    const names = labels.map((l) => truncate(l, 12));
    const longest = Math.max(...names.map((s) => s.length), 1);
    const labelWidth = Math.min(110, 18 + 7 * longest);
    const rotate = 7 * longest > cell - 4;
    const left = labelWidth + 26;
    const top = 56 + (rotate ? Math.round(5 * longest) : 0);
    const title = options.title || "Confusion matrix";
    const width = Math.max(left + n * cell + 12 + (rotate ? 5 * longest : 0), 8 * title.length);
    const height = top + n * cell + 12;
    let out = svgOpen(width, height, `${title}: rows are true classes, columns predicted classes`, "heat-map");
    out += text(0, 16, title, `font-size="14" font-weight="600" fill="${COLORS.text}"`);
    out += text(left + (n * cell) / 2, 38, "predicted class", `font-size="12" fill="${COLORS.muted}" text-anchor="middle"`);
    out += text(12, top + (n * cell) / 2, "true class",
      `font-size="12" fill="${COLORS.muted}" text-anchor="middle" transform="rotate(-90 12 ${round(top + (n * cell) / 2)})"`);
    names.forEach((name, j) => {
      const cx = left + j * cell + cell / 2;
      out += rotate
        ? text(cx, top - 6, name, `font-size="11" fill="${COLORS.text}" text-anchor="start" transform="rotate(-45 ${round(cx)} ${top - 6})"`)
        : text(cx, top - 8, name, `font-size="11" fill="${COLORS.text}" text-anchor="middle"`);
      out += text(left - 6, top + j * cell + cell / 2 + 4, name, `font-size="11" fill="${COLORS.text}" text-anchor="end"`);
    });
    matrix.forEach((row, i) => {
      const total = row.reduce((s, v) => s + v, 0);
      row.forEach((count, j) => {
        const share = total > 0 ? count / total : 0;
        const fill = mix(COLORS.heatLow, COLORS.heatHigh, share);
        const x = left + j * cell;
        const y = top + i * cell;
        out += `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff">`;
        out += `<title>true ${escapeXml(labels[i])}, predicted ${escapeXml(labels[j])}: ${count}</title></rect>`;
        out += text(x + cell / 2, y + cell / 2 + 4, String(count),
          `font-size="${cell < 30 ? 10 : 12}" fill="${textOn(fill)}" text-anchor="middle"`);
      });
    });
    return `${out}</svg>`;
  }

  /** Horizontal bars of class probabilities (0..1); the predicted class is highlighted. */
  function probabilityBars(classes, probabilities, predicted) {
    const rowH = 24;
    const names = classes.map((c) => truncate(c, 16));
    const labelWidth = Math.min(130, 16 + 7 * Math.max(...names.map((s) => s.length), 3));
    const barMax = 300;
    const width = labelWidth + barMax + 70;
    const height = rowH * classes.length + 8;
    const top = classes.map((c, i) => [probabilities[i], i]).sort((a, b) => b[0] - a[0])[0];
    const label = `Class probabilities; highest: ${classes[top[1]]} ${formatPercent(top[0])}`;
    let out = svgOpen(width, height, label, "probabilities");
    classes.forEach((cls, i) => {
      const p = Math.max(0, Math.min(1, Number(probabilities[i]) || 0));
      const isPredicted = predicted !== undefined && String(cls) === String(predicted);
      const y = 4 + i * rowH;
      const weight = isPredicted ? ' font-weight="700"' : "";
      out += text(labelWidth - 8, y + 16, names[i], `font-size="12" fill="${COLORS.text}" text-anchor="end"${weight}`);
      out += `<rect x="${labelWidth}" y="${y + 3}" width="${barMax}" height="${rowH - 8}" fill="#eef2f6"/>`;
      out += `<rect class="bar${isPredicted ? " predicted" : ""}" x="${labelWidth}" y="${y + 3}" width="${round(p * barMax)}" height="${rowH - 8}" fill="${isPredicted ? COLORS.barPredicted : COLORS.bar}"/>`;
      out += text(labelWidth + barMax + 6, y + 16, formatPercent(p), `font-size="12" fill="${COLORS.text}"${weight}`);
    });
    return `${out}</svg>`;
  }

  function formatPercent(p) {
    return `${(100 * p).toFixed(1)} %`;
  }

  return {
    COLORS,
    escapeXml,
    formatNumber,
    formatPercent,
    niceTicks,
    lineChart,
    learningCurves,
    architectureDiagram,
    confusionHeatMap,
    probabilityBars,
    contrastRatio,
    textOn,
  };
})();

if (typeof module === "object" && module.exports) module.exports = MlpCharts;
