/* Selfie: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* A "Show password" button beside each password field (ASVS 2.1.12): many of our
     customers type slowly and like to check what they typed. */
  var body = document.body;
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
