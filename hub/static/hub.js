/* Referral Hub pages: shared helpers (labels, token, API calls, problem display, sign-in). */
"use strict";

const Hub = (() => {
  const config = JSON.parse(document.getElementById("hub-config").textContent);
  const TOKEN_KEY = "hub.token";
  const signInHandlers = [];

  /** The label for `key` in the page language (the key itself when there is none). */
  function t(key) {
    return Object.prototype.hasOwnProperty.call(config.labels, key) ? config.labels[key] : key;
  }

  /** An enum value's label, e.g. label("status", "accepted") -> 已接收. */
  function label(prefix, value) {
    if (value === null || value === undefined || value === "") return "—";
    const key = prefix + "." + value;
    return Object.prototype.hasOwnProperty.call(config.labels, key) ? config.labels[key] : String(value);
  }

  /** Build an element; children are nodes or strings (always set as text, never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A time as local YYYY-MM-DD HH:mm (the raw value when it is not a time). */
  function when(value) {
    if (!value) return "—";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    const pad = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " "
      + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  const token = {
    get: () => sessionStorage.getItem(TOKEN_KEY),
    set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
    clear: () => sessionStorage.removeItem(TOKEN_KEY),
  };

  /** Call the API with the bearer token: {ok, status, data, etag}; never throws. */
  async function api(path, options = {}) {
    const headers = { Accept: "application/json, application/problem+json" };
    if (token.get()) headers.Authorization = "Bearer " + token.get();
    if (options.ifMatch !== undefined) headers["If-Match"] = '"' + options.ifMatch + '"';
    const init = { method: options.method || "GET", headers, cache: "no-store" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    try {
      const response = await fetch(config.api + path, init);
      const type = response.headers.get("Content-Type") || "";
      const data = type.includes("json") ? await response.json() : await response.blob();
      if (response.status === 401) signedOut();
      return { ok: response.ok, status: response.status, data, etag: response.headers.get("ETag") };
    } catch (error) {
      return { ok: false, status: 0, data: { title: t("problem.network"), detail: String(error) } };
    }
  }

  /** Show a problem document readably: title, detail, allowed actions, field errors. */
  function showProblem(box, problem) {
    box.replaceChildren();
    const data = problem && typeof problem === "object" ? problem : {};
    box.append(el("p", { class: "problem-title" },
      el("strong", {}, data.title || t("problem.title")), data.status ? " (" + data.status + ")" : ""));
    if (data.detail) box.append(el("p", {}, data.detail));
    if (Array.isArray(data.allowed_actions)) {
      box.append(el("p", {}, t("problem.allowed") + ": ",
        data.allowed_actions.map((a) => label("act", a)).join("、") || "—"));
    }
    const fields = data.errors && typeof data.errors === "object" ? Object.entries(data.errors) : [];
    if (fields.length) {
      box.append(el("p", {}, t("problem.fields")), el("ul", {}, fields.map(([name, messages]) =>
        el("li", {}, el("code", {}, name), ": ", [].concat(messages).join("; ")))));
    }
    box.hidden = false;
  }

  function signedOut() {
    token.clear();
    showSignIn(true);
  }

  function showSignIn(visible) {
    const form = document.getElementById("signin");
    const bar = document.getElementById("signed-in");
    if (form) form.hidden = !visible;
    if (bar) bar.hidden = visible;
    document.body.classList.toggle("is-signed-in", !visible);
  }

  /** Run `handler` once a token is present (now, or after the user signs in). */
  function onSignIn(handler) {
    signInHandlers.push(handler);
    if (token.get()) handler();
  }

  function wireSignIn() {
    const form = document.getElementById("signin-form");
    if (!form) return;
    showSignIn(!token.get());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = form.elements.token.value.trim();
      if (!value) return;
      token.set(value);
      form.reset();
      showSignIn(false);
      signInHandlers.forEach((handler) => handler());
    });
    document.getElementById("signout").addEventListener("click", () => {
      token.clear();
      window.location.reload();
    });
  }

  document.addEventListener("DOMContentLoaded", wireSignIn);
  return { config, t, label, el, when, token, api, showProblem, onSignIn, signedOut };
})();
