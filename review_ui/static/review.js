/* Keyboard triage for the review page (a static file: the CSP allows no inline script).
 *
 * Conflict page: j/n next, k/p previous, f/a use Flickr's value, c keep Commons' value,
 * s skip, e focus the note (Esc leaves it).
 * Queue page: j/k move between rows, Enter opens one, n/p next/previous page.
 * Keys typed into a field, or with Ctrl/Alt/Meta held, are left alone.
 *
 * Times: every <time datetime="...Z"> reads "2026-12-04 13:34 UTC" without script; this
 * adds the visitor's local time beside it ("14:34 your time, GMT+1"), with the date
 * when it differs, and nothing when the visitor's clock is on UTC.
 */
(function () {
  "use strict";

  var DECISIONS = { f: "accept_flickr", a: "accept_flickr", c: "keep_commons", s: "skip" };

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function zoneName(date) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(date);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") return parts[i].value;
      }
    } catch (e) {
      /* an old browser: the offset below says it */
    }
    var offset = -date.getTimezoneOffset();
    var sign = offset < 0 ? "-" : "+";
    offset = Math.abs(offset);
    return "UTC" + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function localTimes() {
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var stamp = el.getAttribute("datetime");
      if (!/Z$/.test(stamp) || el.dataset.local) continue;
      var date = new Date(stamp);
      if (isNaN(date.getTime()) || date.getTimezoneOffset() === 0) continue;
      var day = date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
      var clock = pad(date.getHours()) + ":" + pad(date.getMinutes());
      var sameDay = day === stamp.slice(0, 10);
      var local = document.createElement("span");
      local.className = "local-time";
      local.textContent = (sameDay ? "" : day + " ") + clock + " your time, " + zoneName(date);
      el.dataset.local = day + " " + clock;
      el.title = "Your time: " + day + " " + clock + " (" + zoneName(date) + ")";
      el.parentNode.insertBefore(local, el.nextSibling);
    }
  }

  localTimes();

  function isTyping(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link && link.href) {
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  var form = document.getElementById("decide-form");
  if (form) {
    // one decision per page: a double press must not decide the next conflict blind
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.classList.add("is-sending");
    });
  }

  function moveRow(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("a.row-link"));
    if (!links.length) return false;
    var index = links.indexOf(document.activeElement);
    var next = index < 0 ? (step > 0 ? 0 : links.length - 1) : index + step;
    next = Math.max(0, Math.min(links.length - 1, next));
    links[next].focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (isTyping(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key;
    var handled = false;
    var onQueue = document.body.classList.contains("page-queue");

    if (form && DECISIONS[key]) {
      var button = form.querySelector('button[value="' + DECISIONS[key] + '"]');
      if (button && !form.dataset.sent) {
        button.click();
        handled = true;
      }
    } else if (key === "e" && form) {
      var note = document.getElementById("note");
      if (note) {
        note.focus();
        handled = true;
      }
    } else if (onQueue && (key === "j" || key === "k")) {
      handled = moveRow(key === "j" ? 1 : -1);
    } else if (key === "j" || key === "n") {
      handled = follow('a[rel="next"]');
    } else if (key === "k" || key === "p") {
      handled = follow('a[rel="prev"]');
    }
    if (handled) event.preventDefault();
  });
})();
