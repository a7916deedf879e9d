/* Statistics page: the chart and the table from /api/v1/stats, fetched with the user's token. */
"use strict";

(() => {
  const { t, label, el, api, showProblem } = Hub;
  const $ = (id) => document.getElementById(id);
  const ENUM_GROUPS = { category: "category", status: "status" };
  let plotUrl = null;

  /** The period as the API takes it (start of each chosen day), plus `extra`. */
  function query(extra) {
    const form = $("stats-form");
    const params = new URLSearchParams(extra || {});
    for (const name of ["from", "to"]) {
      if (form.elements[name].value) params.set(name, form.elements[name].value + "T00:00:00Z");
    }
    return params.toString();
  }

  /** The rows of a statistics answer: the first list of objects found in it. */
  function rowsOf(data) {
    if (Array.isArray(data)) return data;
    for (const value of Object.values(data || {})) {
      if (Array.isArray(value) && value.every((v) => v && typeof v === "object")) return value;
    }
    return [];
  }

  function cell(key, value, groupBy) {
    if (value === null || value === undefined) return "—";
    if (["group", "key", groupBy].includes(key) && ENUM_GROUPS[groupBy]) return label(ENUM_GROUPS[groupBy], value);
    if (key.endsWith("rate") && typeof value === "number") return (value * 100).toFixed(1) + "%";
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(1);
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function renderTable(data, groupBy) {
    const rows = rowsOf(data);
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const heading = (k) => (["group", "key", groupBy].includes(k) ? t("col.group") : label("col", k));
    const total = typeof data.total === "number" ? " · " + t("col.total") + " " + data.total : "";
    $("stats-table").replaceChildren(
      el("caption", {}, t("group." + groupBy) + total),
      el("thead", {}, el("tr", {}, keys.map((k) => el("th", { scope: "col" }, heading(k))))),
      el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, keys.map((k) => el("td", {}, cell(k, r[k], groupBy)))))
        : el("tr", {}, el("td", {}, t("list.empty")))));
  }

  async function load() {
    $("problem").hidden = true;
    const groupBy = $("stats-form").elements.group_by.value;
    const table = await api("/stats?" + query({ group_by: groupBy }));
    if (!table.ok) { if (table.status !== 401) showProblem($("problem"), table.data); return; }
    renderTable(table.data, groupBy);
    $("stats-body").hidden = false;
    const plot = await api("/stats/plot.svg?" + query());
    if (!plot.ok || !(plot.data instanceof Blob)) { showProblem($("problem"), plot.data); return; }
    if (plotUrl) URL.revokeObjectURL(plotUrl);
    plotUrl = URL.createObjectURL(plot.data);
    $("plot").src = plotUrl;
  }

  $("stats-form").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  Hub.onSignIn(() => { $("stats-form").hidden = false; load(); });
})();
