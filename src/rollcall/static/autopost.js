// Submits the SAML hand-over form as soon as the page is ready; the page also
// offers a button for browsers that run no scripts.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) {
    form.submit();
  }
});
