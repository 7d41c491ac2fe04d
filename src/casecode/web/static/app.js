// casecode serve: keyboard and mouse review of one transcript. No build step, no dependencies.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var status = document.getElementById("status");

  function say(message, bad) {
    status.textContent = message;
    status.className = bad ? "bad" : "good";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || ("the server answered " + response.status)); }
        return data;
      });
    });
  }

  // After a write the page reloads from the store, keeping the focused coding and the scroll position.
  function reloadKeeping(focusId) {
    sessionStorage.setItem("casecode-focus", focusId || "");
    sessionStorage.setItem("casecode-scroll", String(window.scrollY));
    window.location.reload();
  }

  function fail(error) { say(error.message, true); }

  // -- memos (document page and code page) ------------------------------------------------------------------
  var memoForm = document.getElementById("memo-form");
  if (memoForm) {
    memoForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var parts = document.getElementById("memo-target").value.split("|");
      var targetId = parts.slice(1).join("|");
      if (parts[0] === "segment" && !targetId) { targetId = currentSegment(); }
      var text = document.getElementById("memo-text").value;
      post("/api/memo", {target_type: parts[0], target_id: targetId, text: text})
        .then(function () { reloadKeeping(focusedId()); }, fail);
    });
  }

  var transcript = document.getElementById("transcript");
  if (!transcript) { return; }
  var documentId = transcript.dataset.document;
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var focus = -1;
  var lastTurn = null;

  function focusedId() { return focus >= 0 ? cards[focus].dataset.coding : ""; }

  function currentSegment() {
    if (focus >= 0) { return cards[focus].closest(".turn").dataset.segment; }
    return lastTurn ? lastTurn.dataset.segment : "";
  }

  function setFocus(index) {
    document.querySelectorAll(".focused").forEach(function (el) { el.classList.remove("focused"); });
    if (index < 0 || index >= cards.length) { return; }
    focus = index;
    var card = cards[index];
    card.classList.add("focused");
    document.querySelectorAll('.run[data-codings]').forEach(function (run) {
      if (run.dataset.codings.split(" ").indexOf(card.dataset.coding) >= 0) { run.classList.add("focused"); }
    });
    lastTurn = card.closest(".turn");
    var passage = document.getElementById("memo-passage");
    if (passage) { passage.textContent = "the current passage (" + lastTurn.dataset.segment + ")"; }
    card.focus({preventScroll: true});
    card.scrollIntoView({block: "nearest"});
  }

  function nextPending(from) {
    for (var i = from + 1; i < cards.length; i++) { if (cards[i].dataset.status === "suggested") { return i; } }
    return Math.min(from + 1, cards.length - 1);
  }

  function decide(index, decision, newCode) {
    if (index < 0) { say("No suggestion is selected; press j to go to the next one", true); return; }
    var card = cards[index];
    if (decision === "recode" && newCode === card.dataset.code) { decision = "accept"; newCode = null; }
    var after = cards[nextPending(index)];
    post("/api/decide", {coding_id: Number(card.dataset.coding), decision: decision, new_code: newCode || null})
      .then(function () { reloadKeeping(after ? after.dataset.coding : card.dataset.coding); }, fail);
  }

  // A selection inside one turn, as document offsets: each run's text node starts at its data-start, so the
  // offsets come from the nodes themselves, wherever the browser put the selection's ends.
  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) { return null; }
    var range = selection.getRangeAt(0);
    var runs = transcript.querySelectorAll(".run");
    var start = null, end = null, turn = null;
    for (var i = 0; i < runs.length; i++) {
      var node = runs[i].firstChild;
      if (!node || !range.intersectsNode(node)) { continue; }
      var base = Number(runs[i].dataset.start);
      var from = node === range.startContainer ? range.startOffset : 0;
      var to = node === range.endContainer ? range.endOffset : node.length;
      if (to <= from) { continue; }
      var here = runs[i].closest(".turn");
      if (turn && here !== turn) {
        return {error: "The selection runs over two turns; select text inside one turn to code it"};
      }
      turn = here;
      if (start === null) { start = base + from; }
      end = base + to;
    }
    if (start === null) { return null; }
    var text = selection.toString();
    var full = turnText(turn);
    var offset = Number(turn.dataset.start);
    // Leave out the blanks at either end of the selection, as a coder means the words.
    while (start < end && /\s/.test(full.charAt(start - offset))) { start++; }
    while (end > start && /\s/.test(full.charAt(end - 1 - offset))) { end--; }
    if (start >= end) { return null; }
    return {segment: turn.dataset.segment, start: start, end: end, text: full.slice(start - offset, end - offset),
            shown: text};
  }

  function turnText(turn) {
    var parts = [];
    turn.querySelectorAll(".run").forEach(function (run) { parts.push(run.textContent); });
    return parts.join("");
  }

  function codeSelection(code) {
    var passage = selectedPassage();
    if (!passage) { return false; }
    if (passage.error) { say(passage.error, true); return true; }
    post("/api/code", {document_id: documentId, segment_id: passage.segment, start: passage.start,
                       end: passage.end, text: passage.text, code: code})
      .then(function () { window.getSelection().removeAllRanges(); reloadKeeping(focusedId()); }, fail);
    return true;
  }

  function undo() {
    post("/api/undo", {}).then(function () { reloadKeeping(focusedId()); }, fail);
  }

  var picks = Array.prototype.slice.call(document.querySelectorAll(".code-pick"));
  function codeForKey(number) {
    var pick = picks.filter(function (p) { return Number(p.dataset.key) === number; })[0];
    return pick ? pick.dataset.code : null;
  }

  function useCode(code) {
    if (!code) { return; }
    if (!codeSelection(code)) { decide(focus, "recode", code); }
  }

  // Digits pick a code by its number; with ten or more codes, "1" waits a moment for a second digit.
  var digits = "", digitTimer = null;
  function digit(d) {
    digits += d;
    clearTimeout(digitTimer);
    var number = Number(digits);
    if (number * 10 <= picks.length) {
      digitTimer = setTimeout(function () { var n = Number(digits); digits = ""; useCode(codeForKey(n)); }, 700);
      return;
    }
    digits = "";
    useCode(codeForKey(number));
  }

  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var key = event.key;
    if (key === "j") { setFocus(Math.min(focus + 1, cards.length - 1)); }
    else if (key === "k") { setFocus(Math.max(focus - 1, 0)); }
    else if (key === "a") { decide(focus, "accept"); }
    else if (key === "r") { decide(focus, "reject"); }
    else if (key === "u") { undo(); }
    else if (key === "m") {
      var target = document.getElementById("memo-target");
      if (lastTurn) { target.value = "segment|"; }
      document.getElementById("memo-text").focus();
    }
    else if (/^[0-9]$/.test(key)) { digit(key); }
    else { return; }
    event.preventDefault();
  });

  cards.forEach(function (card, index) {
    card.addEventListener("click", function () { setFocus(index); });
    card.querySelectorAll(".do").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.stopPropagation();
        decide(index, button.dataset.decision);
      });
    });
    card.querySelector(".recode").addEventListener("change", function (event) {
      if (event.target.value) { decide(index, "recode", event.target.value); }
    });
  });
  picks.forEach(function (pick) {
    // mousedown would clear the selection before click; keep it.
    pick.addEventListener("mousedown", function (event) { event.preventDefault(); });
    pick.addEventListener("click", function () { useCode(pick.dataset.code); });
  });
  document.querySelectorAll(".memo-open").forEach(function (button) {
    button.addEventListener("click", function () {
      lastTurn = button.closest(".turn");
      var passage = document.getElementById("memo-passage");
      passage.textContent = "the current passage (" + lastTurn.dataset.segment + ")";
      document.getElementById("memo-target").value = "segment|";
      document.getElementById("memo-text").focus();
    });
  });
  document.querySelectorAll(".turn").forEach(function (turn) {
    turn.addEventListener("mouseup", function () { lastTurn = turn; });
  });
  document.getElementById("undo").addEventListener("click", undo);

  // Restore focus after a reload, else start on the first pending suggestion.
  var kept = sessionStorage.getItem("casecode-focus");
  var scroll = sessionStorage.getItem("casecode-scroll");
  sessionStorage.removeItem("casecode-focus");
  sessionStorage.removeItem("casecode-scroll");
  var start = cards.findIndex(function (c) { return c.dataset.coding === kept; });
  if (start < 0 && !window.location.hash) { start = nextPending(-1); }
  if (start >= 0 && cards.length) { setFocus(start); }
  if (scroll !== null && kept !== null) { window.scrollTo(0, Number(scroll)); }
  document.body.dataset.ready = "1";
})();
