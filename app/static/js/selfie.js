/* Selfie: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* A "Show password" button beside each password field (ASVS 2.1.12): many of our
     customers type slowly and like to check what they typed. */
  var body = document.body;

  /* A "Copy the code" button beside the virtual bar code: the code itself is selectable
     text, so without JavaScript (or clipboard access) it is copied by hand. */
  var copyButtons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(copyButtons, function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source || !navigator.clipboard || !window.isSecureContext) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied");
        }
      });
    });
  });

  var showText = body.getAttribute("data-show-password");
  var hideText = body.getAttribute("data-hide-password");
  if (!showText || !hideText) {
    return;
  }
  var fields = document.querySelectorAll('input[type="password"]');
  Array.prototype.forEach.call(fields, function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "reveal";
    button.textContent = showText;
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      button.textContent = shown ? showText : hideText;
      button.setAttribute("aria-pressed", shown ? "false" : "true");
    });
    input.insertAdjacentElement("afterend", button);
  });
})();
