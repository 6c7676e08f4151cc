/* Planning of "Mes enfants": a right-click, a tap, Enter or the context-menu key on a day
   opens a small menu "Demande de Réservation" / "Déclarer une absence". Without this script
   each day is a link that shows the same forms under the grid. */
(function () {
  "use strict";
  var menu = document.getElementById("menu-case");
  var section = document.getElementById("demande");
  if (!menu || !section) { return; }
  var reservation = document.getElementById("form-reservation");
  var absence = document.getElementById("form-absence");
  var current = null; // the cell link the menu was opened from

  function frenchDate(iso) {
    var parts = iso.split("-");
    return parts[2] + "/" + parts[1] + "/" + parts[0];
  }

  function choose(cell) {
    [reservation, absence].forEach(function (form) {
      form.elements.date.value = cell.dataset.date;
      form.elements.prestation.value = cell.dataset.prestation;
      form.elements.nom.value = cell.dataset.nom;
    });
    section.querySelector("[data-champ=jour]").textContent = frenchDate(cell.dataset.date);
    section.querySelector("[data-champ=nom]").textContent = cell.dataset.nom;
  }

  var refusals = document.getElementById("erreurs-demande");
  var sending = false;

  /* "Demande de Réservation" asks for JSON: accepted, the agenda is opened again (with the
     message); refused, the reason shows here and the grid stays as it is. Anything else (the
     session ended, no network) falls back to sending the form as a page. */
  function book() {
    if (sending) { return; } // a double click books once
    if (!window.fetch || !window.FormData || !refusals) { reservation.submit(); return; }
    sending = true;
    var cell = current;
    // getAttribute: the form's field named "action" hides its .action property.
    fetch(reservation.getAttribute("action"), {method: "POST", body: new FormData(reservation),
                               headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) { throw new Error("not JSON"); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.suivant) { window.location.assign(answer.suivant); return; }
        var list = refusals.querySelector("ul");
        list.textContent = "";
        (answer.erreurs || []).forEach(function (text) {
          var line = document.createElement("li");
          line.textContent = text;
          list.appendChild(line);
        });
        refusals.hidden = false;
        sending = false;
        if (cell) { cell.focus(); }
      })
      .catch(function () { reservation.submit(); });
  }

  function items() { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }

  function open(cell, x, y) {
    current = cell;
    choose(cell);
    menu.hidden = false;
    var rect = cell.getBoundingClientRect();
    var left = x !== undefined ? x : rect.left;
    var top = y !== undefined ? y : rect.bottom;
    // Keep the menu on screen, phones included.
    left = Math.max(4, Math.min(left, window.innerWidth - menu.offsetWidth - 4));
    menu.style.left = (left + window.scrollX) + "px";
    menu.style.top = (top + window.scrollY) + "px";
    cell.setAttribute("aria-expanded", "true");
    items()[0].focus();
  }

  function close(returnFocus) {
    if (menu.hidden) { return; }
    menu.hidden = true;
    if (current) {
      current.setAttribute("aria-expanded", "false");
      if (returnFocus) { current.focus(); }
    }
  }

  document.addEventListener("contextmenu", function (event) {
    var cell = event.target.closest("a.case");
    if (!cell) { return; }
    event.preventDefault();
    open(cell, event.clientX, event.clientY);
  });
  document.addEventListener("click", function (event) {
    var cell = event.target.closest("a.case");
    if (cell) { // a tap on a phone, or Enter on the keyboard
      event.preventDefault();
      open(cell);
    } else if (!menu.contains(event.target)) {
      close(false);
    }
  });

  menu.addEventListener("keydown", function (event) {
    var list = items();
    var index = list.indexOf(document.activeElement);
    if (event.key === "Escape") { event.preventDefault(); close(true); }
    else if (event.key === "ArrowDown") { event.preventDefault(); list[(index + 1) % list.length].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); list[(index + list.length - 1) % list.length].focus(); }
    else if (event.key === "Tab") { close(false); }
  });

  menu.addEventListener("click", function (event) {
    var item = event.target.closest("[role=menuitem]");
    if (!item) { return; }
    close(false);
    if (item.dataset.action === "reservation") {
      book();
    } else {
      // An absence needs a reason and a confirmation: show that form only.
      section.hidden = false;
      reservation.hidden = true;
      absence.hidden = false;
      absence.elements.motif.focus();
      section.scrollIntoView({block: "nearest"});
    }
  });
})();
