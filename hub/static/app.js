/* The workbench: inbox, outbox and cases; a referral's detail, history and actions. */
"use strict";

(() => {
  const { config, t, label, el, when, api, showProblem } = Hub;
  const $ = (id) => document.getElementById(id);
  const state = { box: "inbox", cursor: null, me: null, agencies: null, current: null };

  const COLUMNS = {
    inbox: ["subject", "from_agency", "category", "status", "respond_by"],
    outbox: ["subject", "to_agency", "category", "status", "respond_by"],
    cases: ["subject", "lead_agency", "risk_level", "status", "next_review_on"],
  };

  /** A field's value as text (enums labelled, times localised, objects summarised). */
  function show(name, value) {
    if (value === null || value === undefined || value === "") return "—";
    if (name === "status") return label("status", value);
    if (["category", "urgency", "outcome"].includes(name)) return label(name, value);
    if (name === "risk_level") return label("risk", value);
    if (name === "overdue" || name === "review_overdue" || name === "guardian_present") return value ? t("yes") : t("no");
    if (name === "kind") return label("session", value);
    if (name.endsWith("_at") || name === "respond_by") return when(value);
    if (name === "subject") return subjectText(value);
    if (name === "participants" && Array.isArray(value)) return value.map((p) => p.agency + "（" + p.role + "）").join("；");
    if (name === "sessions" && Array.isArray(value)) return value.map(sessionText).join("；");
    if (name === "consent") return label("consent", value.basis) + (value.note ? " — " + value.note : "");
    if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? summary(v) : v)).join("；");
    if (typeof value === "object") return summary(value);
    return String(value);
  }

  function sessionText(session) {
    return [session.held_on, label("session", session.kind),
      session.guardian_present ? t("field.guardian_present") : null, session.notes].filter(Boolean).join(" · ");
  }

  function subjectText(subject) {
    if (!subject || typeof subject !== "object") return String(subject || "—");
    const parts = [subject.name, subject.gender, subject.birth_date].filter(Boolean);
    return parts.join(" · ") || "—";
  }

  function summary(object) {
    return Object.entries(object).filter(([, v]) => v !== null && v !== "" && typeof v !== "object")
      .map(([k, v]) => k + ": " + v).join(", ");
  }

  // ---- list ------------------------------------------------------------------------------

  function listQuery() {
    const form = $("filters");
    const params = new URLSearchParams();
    if (state.box === "cases") {
      if (form.elements.case_status.value) params.set("status", form.elements.case_status.value);
      if (form.elements.risk_level.value) params.set("risk_level", form.elements.risk_level.value);
      if (form.elements.review_overdue.checked) params.set("review_overdue", "true");
    } else {
      params.set("box", state.box);
      for (const name of ["status", "category"]) {
        if (form.elements[name].value) params.set(name, form.elements[name].value);
      }
      if (form.elements.overdue.checked) params.set("overdue", "true");
    }
    params.set("limit", "20");
    if (state.cursor) params.set("cursor", state.cursor);
    return (state.box === "cases" ? "/cases?" : "/referrals?") + params.toString();
  }

  async function loadList(reset) {
    if (reset) {
      state.cursor = null;
      $("list").tBodies[0].replaceChildren();
      renderHead();
    }
    $("list-status").textContent = t("list.loading");
    $("list-problem").hidden = true;
    const result = await api(listQuery());
    if (!result.ok) {
      $("list-status").textContent = "";
      if (result.status !== 401) showProblem($("list-problem"), result.data);
      return;
    }
    const items = Array.isArray(result.data.items) ? result.data.items : [];
    items.forEach((item) => { learnWhoIAm(item); $("list").tBodies[0].append(row(item)); });
    state.cursor = result.data.next_cursor || null;
    $("more").hidden = !state.cursor;
    const count = $("list").tBodies[0].rows.length;
    $("list-status").textContent = count ? "" : t("list.empty");
  }

  function learnWhoIAm(item) {
    if (state.me) return;
    if (state.box === "inbox" && item.to_agency) state.me = item.to_agency;
    if (state.box === "outbox" && item.from_agency) state.me = item.from_agency;
  }

  function renderHead() {
    const head = el("tr", {}, COLUMNS[state.box].map((c) => el("th", { scope: "col" }, t("field." + c))),
      el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, t("list.open"))));
    $("list").tHead.replaceChildren(head);
    $("list-caption").textContent = t(state.box === "cases" ? "list.caption_cases" : "list.caption_referrals");
  }

  function row(item) {
    const kind = state.box === "cases" ? "case" : "referral";
    const cells = COLUMNS[state.box].map((c) => {
      const cell = el("td", { "data-label": t("field." + c) }, show(c, item[c]));
      if (c === "category" && item.urgency && item.urgency !== "routine") {
        cell.append(" ", el("span", { class: "badge badge-" + item.urgency }, label("urgency_short", item.urgency)));
      }
      if (c === "status" && item.overdue) cell.append(" ", el("span", { class: "badge badge-warn" }, t("field.overdue")));
      if (c === "status") cell.classList.add("status-" + item.status);
      return cell;
    });
    const open = el("button", { type: "button", class: "link", onclick: () => openItem(kind, item.id) }, t("list.open"));
    return el("tr", { "data-id": item.id }, cells, el("td", { class: "nowrap" }, open));
  }

  // ---- detail ----------------------------------------------------------------------------

  function showDetail(visible) {
    $("detail").hidden = !visible;
    document.querySelector(".workspace").classList.toggle("with-detail", visible);
  }

  async function openItem(kind, id) {
    const path = (kind === "case" ? "/cases/" : "/referrals/") + encodeURIComponent(id);
    const result = await api(path);
    if (!result.ok) { showProblem($("list-problem"), result.data); return; }
    renderDetail(kind, result.data);
    await loadHistory(kind, id);
    showDetail(true);
    $("detail").focus();
  }

  const REFERRAL_FIELDS = ["status", "overdue", "category", "urgency", "from_agency", "to_agency",
    "subject", "consent", "reason", "risk_level", "respond_by", "assignee", "outcome", "summary",
    "closing_reason", "case_id", "external_ref", "parties", "created_at", "updated_at", "id", "version"];
  const CASE_FIELDS = ["status", "risk_level", "lead_agency", "lead_worker", "participants", "subject",
    "referral_id", "next_review_on", "review_overdue", "plan", "sessions", "outcome", "evaluation", "created_at", "updated_at", "id", "version"];

  function renderDetail(kind, item) {
    state.current = { kind, item };
    $("detail-title").textContent = t(kind === "case" ? "detail.case_title" : "detail.title");
    const names = kind === "case" ? CASE_FIELDS : REFERRAL_FIELDS;
    $("detail-fields").replaceChildren(...names.filter((n) => n in item).flatMap((n) => [
      el("dt", {}, t("field." + n)), el("dd", { class: n === "status" ? "status-" + item.status : null }, show(n, item[n]))]));
    appendQuestionsAndNotes(item);
    $("action-problem").hidden = true;
    $("action-form").hidden = true;
    $("action-status").textContent = "";
    renderActions(kind, item);
  }

  function appendQuestionsAndNotes(item) {
    for (const name of ["questions", "notes"]) {
      if (!Array.isArray(item[name]) || !item[name].length) continue;
      const entries = item[name].map((entry) => el("li", {}, name === "notes"
        ? [entry.text, el("small", {}, " — " + (entry.by ? entry.by.agency + "/" + entry.by.user : "") + " " + when(entry.at))]
        : [entry.question, el("br"), el("small", {}, (entry.answer ? "↳ " + entry.answer : "…"))]));
      $("detail-fields").append(el("dt", {}, t("field." + name)), el("dd", {}, el("ul", { class: "plain" }, entries)));
    }
  }

  async function loadHistory(kind, id) {
    const result = await api((kind === "case" ? "/cases/" : "/referrals/") + encodeURIComponent(id) + "/history");
    const verified = $("verified");
    $("timeline").replaceChildren();
    if (!result.ok) {
      verified.textContent = (result.data && result.data.title) || "";
      verified.className = "verified";
      return;
    }
    verified.textContent = result.data.verified ? "✔ " + t("detail.verified") : "✖ " + t("detail.broken");
    verified.className = "verified " + (result.data.verified ? "ok" : "broken");
    for (const event of result.data.events || []) $("timeline").append(timelineEntry(event));
  }

  function timelineEntry(event) {
    const details = Object.entries(event.data || {}).filter(([, v]) => v !== null && v !== "")
      .map(([k, v]) => el("li", {}, el("span", { class: "muted" }, label("field", k) + "："), show(k, v)));
    const actor = event.actor ? event.actor.agency + " / " + event.actor.user : "";
    return el("li", { class: "event" },
      el("div", { class: "event-head" },
        el("strong", {}, label("event", event.type)), " ",
        el("time", { datetime: event.occurred_at }, when(event.occurred_at)), " ",
        el("span", { class: "muted" }, "v" + event.version + " · " + t("detail.by") + " " + actor)),
      details.length ? el("ul", { class: "plain event-data" }, details) : null,
      el("code", { class: "hash", title: event.hash }, t("detail.hash") + " " + String(event.hash || "").slice(0, 16) + "…"));
  }

  // ---- actions ---------------------------------------------------------------------------

  function mySides(item) {
    const sides = new Set();
    const me = state.me;
    if (me ? item.to_agency === me : state.box === "inbox") sides.add("receiver");
    if (me ? item.from_agency === me : state.box === "outbox") sides.add("referrer");
    return sides;
  }

  /** The actions open to the caller now: [action, fields] pairs. */
  function openActions(kind, item) {
    if (kind === "case") {
      return (item.allowed_actions || []).filter((a) => a in config.case_actions)
        .map((a) => [a, config.case_actions[a]]);
    }
    const sides = mySides(item);
    const open = Object.entries(config.actions).filter(([, rule]) => rule.from.includes(item.status)
      && (rule.side === "either" ? sides.size > 0 : sides.has(rule.side))).map(([a, rule]) => [a, rule.fields]);
    if (sides.has("receiver") && item.status === "accepted" && !item.case_id) open.push(["open-case", config.open_case]);
    return open;
  }

  function renderActions(kind, item) {
    const box = $("action-buttons");
    box.replaceChildren();
    const open = openActions(kind, item);
    if (!open.length) { box.append(el("p", { class: "muted" }, t("detail.no_actions"))); return; }
    for (const [action, fields] of open) {
      box.append(el("button", { type: "button", "data-action": action,
        onclick: () => showActionForm(kind, action, fields, item) }, label("act", action)));
    }
  }

  async function agencyOptions() {
    if (state.agencies === null) {
      const result = await api("/agencies");
      const list = result.ok ? (Array.isArray(result.data) ? result.data : result.data.items || []) : [];
      state.agencies = list.map((a) => ({ id: a.id, name: a.name || a.id }));
    }
    return state.agencies;
  }

  function choices(attrs, values, prefix) {
    return el("select", attrs, el("option", { value: "" }, "—"),
      values.map((v) => el("option", { value: v }, label(prefix, v))));
  }

  async function fieldInput(name, kind, required) {
    const attrs = { id: "act-" + name, name, required: required || null };
    if (kind === "textarea" || kind === "list") return el("textarea", { ...attrs, rows: 3 });
    if (kind === "outcome") return choices(attrs, config.outcomes, "outcome");
    if (kind === "risk") return choices(attrs, config.risk_levels, "risk");
    if (kind === "session_kind") return choices(attrs, config.session_kinds, "session");
    if (kind === "date") return el("input", { ...attrs, type: "date" });
    if (kind === "int") return el("input", { ...attrs, type: "number", min: 1, step: 1 });
    if (kind === "bool") return el("input", { id: attrs.id, name, type: "checkbox" });
    if (kind === "agency") {
      const agencies = await agencyOptions();
      if (agencies.length) {
        return el("select", attrs, el("option", { value: "" }, "—"),
          agencies.map((a) => el("option", { value: a.id }, a.name + " (" + a.id + ")")));
      }
    }
    return el("input", { ...attrs, type: "text" });
  }

  function fieldLabel(action, name, kind, required) {
    const key = action === "redirect" && name === "to_agency" ? "field.to_agency_new" : "field." + name;
    return t(key) + (kind === "list" ? " " + t("field.one_per_line") : "") + (required ? "" : " " + t("field.optional"));
  }

  async function showActionForm(kind, action, fields, item) {
    const form = $("action-form");
    $("action-problem").hidden = true;
    $("action-status").textContent = "";
    form.replaceChildren(el("h4", {}, label("act", action)));
    for (const [name, type, required] of fields) {
      form.append(el("div", { class: type === "bool" ? "field check" : "field" },
        el("label", { for: "act-" + name }, fieldLabel(action, name, type, required)),
        await fieldInput(name, type, required), el("p", { class: "field-error", id: "err-" + name, hidden: true })));
    }
    form.append(el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, t("action.submit")),
      el("button", { type: "button", onclick: () => { form.hidden = true; } }, t("action.cancel"))));
    form.onsubmit = (event) => { event.preventDefault(); submitAction(kind, action, fields, item); };
    form.hidden = false;
    const first = form.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  /** The JSON body from the form, each value in its field's type; empty optionals left out. */
  function formBody(fields) {
    const body = {};
    for (const [name, type] of fields) {
      const input = $("act-" + name);
      if (type === "bool") { body[name] = input.checked; continue; }
      const value = input.value.trim();
      if (!value) continue;
      if (type === "list") body[name] = value.split("\n").map((v) => v.trim()).filter(Boolean);
      else if (type === "int") body[name] = Number(value);
      else body[name] = value;
    }
    return body;
  }

  async function submitAction(kind, action, fields, item) {
    const body = formBody(fields);
    const result = action === "open-case"
      ? await api("/cases", { method: "POST", body: { ...body, referral_id: item.id } })
      : await api((kind === "case" ? "/cases/" : "/referrals/") + encodeURIComponent(item.id) + "/" + action,
        { method: "POST", body, ifMatch: item.version });
    if (!result.ok) { showProblem($("action-problem"), result.data); markFields(result.data); return; }
    const shown = action === "open-case" ? "case" : kind;
    renderDetail(shown, result.data);
    await loadHistory(shown, result.data.id);
    $("action-status").textContent = label("act", action) + " — " + t("action.done");
    loadList(true);
  }

  function markFields(problem) {
    const errors = (problem && problem.errors) || {};
    for (const node of document.querySelectorAll("#action-form .field-error")) {
      const name = node.id.slice(4);
      const input = $("act-" + name);
      node.hidden = !errors[name];
      node.textContent = errors[name] ? [].concat(errors[name]).join("; ") : "";
      if (input) input.setAttribute("aria-invalid", errors[name] ? "true" : "false");
    }
  }

  // ---- tabs and wiring -------------------------------------------------------------------

  function selectTab(box) {
    state.box = box;
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const selected = tab.dataset.box === box;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    $("listing").setAttribute("aria-labelledby", "tab-" + box);
    for (const node of document.querySelectorAll(".for-referrals")) node.hidden = box === "cases";
    for (const node of document.querySelectorAll(".for-cases")) node.hidden = box !== "cases";
    showDetail(false);
    loadList(true);
  }

  function wireTabs() {
    const tabs = [...document.querySelectorAll("[role=tab]")];
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", () => selectTab(tab.dataset.box));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        const next = tabs[(index + step + tabs.length) % tabs.length];
        next.focus();
        selectTab(next.dataset.box);
      });
    });
  }

  wireTabs();
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); loadList(true); });
  $("more").addEventListener("click", () => loadList(false));
  $("detail-close").addEventListener("click", () => showDetail(false));
  Hub.onSignIn(() => { $("workbench").hidden = false; loadList(true); });
})();
