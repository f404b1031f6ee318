// Copy buttons for the Manage Team pages. Without JavaScript the values stay
// selectable in their read-only fields and the buttons stay hidden.
"use strict";

document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field || !navigator.clipboard) {
    return;
  }
  var label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(
      function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      },
      function () {
        field.select();
        button.textContent = "Press Ctrl+C";
      }
    );
  });
});
