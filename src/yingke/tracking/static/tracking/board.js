// The lead board (tracking/board.html): drag a card to another stage column. A drop POSTs
// to the card's data-url with the stage and `expect` (the stage the card showed); a 409 means
// someone moved the lead meanwhile: its message is shown and the card stays. Without script,
// each card's small form does the same.
(function () {
  "use strict";

  function init() {
    var board = document.getElementById("board");
    if (!board) return;
    var status = document.getElementById("board-status");
    var dragged = null;

    function say(text) {
      if (!status) return;
      status.textContent = text;
      status.hidden = !text;
    }

    function count(col, delta) {
      var el = col && col.querySelector("[data-count]");
      if (el) el.textContent = String(Math.max(0, parseInt(el.textContent, 10) + delta));
    }

    board.addEventListener("dragstart", function (e) {
      var card = e.target.closest && e.target.closest(".board-card[draggable=true]");
      if (!card) return;
      dragged = card;
      card.classList.add("is-dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.lead);
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      board.querySelectorAll(".is-over").forEach(function (c) { c.classList.remove("is-over"); });
      dragged = null;
    });
    board.addEventListener("dragover", function (e) {
      var col = e.target.closest && e.target.closest(".board-col[data-stage]");
      if (!col || !dragged) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      col.classList.add("is-over");
    });
    board.addEventListener("dragleave", function (e) {
      var col = e.target.closest && e.target.closest(".board-col[data-stage]");
      if (col && !col.contains(e.relatedTarget)) col.classList.remove("is-over");
    });
    board.addEventListener("drop", function (e) {
      var col = e.target.closest && e.target.closest(".board-col[data-stage]");
      var card = dragged;
      if (!col || !card) return;
      e.preventDefault();
      col.classList.remove("is-over");
      var to = col.dataset.stage;
      var from = card.dataset.stage;
      if (to === from) return;
      var form = card.querySelector("form");
      var token = form ? form.querySelector("[name=csrfmiddlewaretoken]") : null;
      var body = new FormData();
      body.append("stage", to);
      body.append("expect", from);
      card.classList.add("is-busy");
      fetch(card.dataset.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
      }).then(function (r) {
        if (r.ok) return r.json().then(function (data) {
          var oldCol = card.closest(".board-col");
          var list = col.querySelector(".board-cards");
          var empty = list.querySelector(".board-empty");
          if (empty) empty.remove();
          list.insertBefore(card, list.firstChild);
          card.dataset.stage = String(data.stage);
          var expect = card.querySelector("[name=expect]");
          var select = card.querySelector("select[name=stage]");
          if (expect) expect.value = String(data.stage);
          if (select) select.value = String(data.stage);
          count(oldCol, -1);
          count(col, 1);
          say("");
        });
        return r.text().then(function (text) {
          say(r.status === 409 || r.status === 422 ? text : board.dataset.errorLabel);
        });
      }).catch(function () {
        say(board.dataset.errorLabel);
      }).then(function () {
        card.classList.remove("is-busy");
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
