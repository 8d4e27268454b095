// Charts drawn with Apache ECharts (vendored: static/vendor/echarts/echarts.min.js, loaded as a classic script
// before the page modules; no CDN).
//
// Names in charts are WeChat users' text. The charts render on a canvas and their tooltips in ECharts'
// "richText" mode (also canvas): no HTML is ever built from a name (and no inline styles against the CSP).
// ECharts reads "{style|text}" in any label or tooltip as rich-text markup, so plain() breaks that syntax with a
// zero-width space after every "{": a name shows exactly as typed instead of being restyled or cut.

const instances = new WeakMap();

export function plain(text) {
  return String(text ?? "").replace(/\{/g, "{\u200b");
}

export const palette = { green: "#07c160", red: "#fa5151", blue: "#10aeff", ink: "#1f2329", muted: "#8a8f99",
  line: "#e5e6eb" };

/** Draw (or redraw) a chart in `container`; returns the ECharts instance. */
export function draw(container, option) {
  const echarts = window.echarts;
  let chart = instances.get(container);
  // A container emptied meanwhile (an empty state or an error shown in its place) gets a fresh instance.
  if (!chart || chart.isDisposed() || !container.querySelector("canvas")) {
    if (chart && !chart.isDisposed()) chart.dispose();
    container.replaceChildren();
    chart = echarts.init(container, null, { renderer: "canvas" });
    if (!instances.has(container)) new ResizeObserver(() => instances.get(container)?.resize()).observe(container);
    instances.set(container, chart);
  }
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: "inherit" },
    tooltip: { renderMode: "richText", trigger: "axis", confine: true },
    grid: { left: 40, right: 12, top: 28, bottom: 28, containLabel: true },
    ...option,
  }, true);
  return chart;
}

/** A bar/line chart over days: series = [{ name, values, color, type }]. `mirrored`: a series drawn below the
 * axis (leaves under joins) as negative values, labelled and shown in tooltips as counts. `scaled`: the value
 * axis fits the data instead of starting at 0 (a member count). */
export function daysChart(container, dates, series, { stack = false, mirrored = false, scaled = false } = {}) {
  const count = (value) => String(mirrored ? Math.abs(Number(value)) : value);
  return draw(container, {
    tooltip: { renderMode: "richText", trigger: "axis", confine: true, valueFormatter: count },
    legend: { top: 0, data: series.map((s) => plain(s.name)) },
    xAxis: { type: "category", data: dates.map((d) => String(d).slice(5)), axisLabel: { color: palette.muted } },
    yAxis: { type: "value", minInterval: 1, scale: scaled, splitLine: { lineStyle: { color: palette.line } },
      axisLabel: { formatter: count } },
    series: series.map((s) => ({ name: plain(s.name), type: s.type || "bar", data: s.values,
      stack: stack ? "total" : undefined, itemStyle: { color: s.color }, barMaxWidth: 24 })),
  });
}

/** 7 × 24 heatmap: rows Monday..Sunday, columns hours 0..23. */
export function weekHeatmap(container, grid, weekdays) {
  const data = [];
  let max = 1;
  grid.forEach((row, day) => row.forEach((count, hour) => {
    data.push([hour, day, count]);
    max = Math.max(max, count);
  }));
  return draw(container, {
    tooltip: { renderMode: "richText", trigger: "item", confine: true,
      formatter: (p) => `${weekdays[p.value[1]]} ${String(p.value[0]).padStart(2, "0")}:00  ${p.value[2]}` },
    grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: true },
    xAxis: { type: "category", data: [...Array(24).keys()].map(String), splitArea: { show: true } },
    yAxis: { type: "category", data: weekdays, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 80,
      inRange: { color: ["#f2f3f5", "#95ec69", "#07c160", "#06ad56"] } },
    series: [{ type: "heatmap", data, label: { show: false } }],
  });
}

/** Horizontal bars with names on the axis (e.g. groups compared). */
export function namedBars(container, names, values, label) {
  return draw(container, {
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: palette.line } } },
    yAxis: { type: "category", data: names.map(plain), inverse: true,
      axisLabel: { width: 140, overflow: "truncate", color: palette.ink } },
    series: [{ name: plain(label), type: "bar", data: values, itemStyle: { color: palette.green }, barMaxWidth: 18 }],
  });
}
