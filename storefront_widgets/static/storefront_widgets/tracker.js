/*! storefront_widgets tracker.js: records impressions and clicks of recommended products.
 * Dependency-free. Configured by the data attributes of its own <script> tag, written by
 * {% storefront_tracking %}: data-sp-endpoint, data-sp-token, data-sp-consent,
 * data-sp-consent-mode, data-sp-can-track. Sends nothing unless the shopper may be tracked. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-sp-endpoint]");
  if (!script || window.storefrontTracker) return;
  var cfg = script.dataset;
  var ITEM = "a[data-sp-product]";
  var BATCH = 50; // events per request, well under the intake's size limit
  var seen = {}; // impressions already counted in this page view
  var queue = [];
  var timer = 0;
  var observer = null;

  function allowed() {
    var consent = cfg.spConsent || "unknown";
    if (!cfg.spEndpoint || cfg.spCanTrack === "false" || consent === "denied") return false;
    if (cfg.spConsentMode === "required" && consent !== "granted") return false;
    return !(navigator.globalPrivacyControl && consent !== "granted");
  }

  function describe(link, type) {
    var list = link.closest("[data-sp-placement]");
    if (!list) return null;
    var position = parseInt(link.getAttribute("data-sp-position"), 10);
    var event = {
      type: type,
      product_id: link.getAttribute("data-sp-product"),
      placement: list.getAttribute("data-sp-placement") || "",
      model_version: list.getAttribute("data-sp-model-version") || "",
      recommendation_id: list.getAttribute("data-sp-recommendation-id") || "",
      position: isNaN(position) ? null : position
    };
    return event;
  }

  function send(events) {
    var body = JSON.stringify({ token: cfg.spToken || "", events: events });
    var sent = false;
    try {
      sent = navigator.sendBeacon && navigator.sendBeacon(cfg.spEndpoint, new Blob([body], { type: "application/json" }));
    } catch (e) { sent = false; }
    if (!sent && window.fetch) {
      fetch(cfg.spEndpoint, {
        method: "POST", body: body, keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json" }
      }).catch(function () {});
    }
  }

  function flush() {
    clearTimeout(timer);
    timer = 0;
    while (queue.length) send(queue.splice(0, BATCH));
  }

  function enqueue(event, now) {
    queue.push(event);
    if (now || queue.length >= BATCH) flush();
    else if (!timer) timer = setTimeout(flush, 1000);
  }

  function onVisible(entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      var link = entry.target;
      observer.unobserve(link);
      var event = describe(link, "impression");
      if (!event) return;
      var key = event.recommendation_id + "|" + event.product_id + "|" + event.position;
      if (seen[key]) return;
      seen[key] = 1;
      enqueue(event, false);
    });
  }

  function watch(root) {
    if (!observer || !root || !root.querySelectorAll) return;
    if (root.matches && root.matches(ITEM)) observer.observe(root);
    root.querySelectorAll(ITEM).forEach(function (link) { observer.observe(link); });
  }

  function onClick(e) {
    var link = e.target.closest && e.target.closest(ITEM);
    if (!link) return;
    var event = describe(link, "click");
    if (event) enqueue(event, true); // sent at once: the page is about to be left
  }

  function start() {
    if (!allowed()) return;
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(onVisible, { threshold: 0.5 });
      watch(document);
      // Lazy widgets arrive later: htmx swaps and any other DOM insertion.
      new MutationObserver(function (records) {
        records.forEach(function (r) { r.addedNodes.forEach(watch); });
      }).observe(document.body, { childList: true, subtree: true });
      document.addEventListener("htmx:afterSwap", function (e) { watch(e.target); });
    }
    document.addEventListener("click", onClick, true);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush();
    });
    window.addEventListener("pagehide", flush);
  }

  window.storefrontTracker = { flush: flush, allowed: allowed };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
