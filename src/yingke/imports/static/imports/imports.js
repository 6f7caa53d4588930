/* Import pages: a submit button says what is happening and cannot be pressed twice
   (an upload of a large file takes a while). No inline script (CSP). */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var button = e.submitter;
    if (!button || !button.dataset.busyLabel || form.dataset.busy) return;
    form.dataset.busy = "1";
    // The button's name/value must still be sent: copy it to a hidden field before disabling.
    if (button.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = button.name; hidden.value = button.value;
      form.appendChild(hidden);
    }
    setTimeout(function () { button.disabled = true; button.textContent = button.dataset.busyLabel; }, 0);
  });
})();
