// The token-created page's Copy button (faultportal/templates/admin/faultportal/apitoken/).
document.getElementById("api-token-copy").addEventListener("click", function () {
  var field = document.getElementById("api-token-plaintext");
  field.select();
  if (navigator.clipboard) { navigator.clipboard.writeText(field.value); }
  else { document.execCommand("copy"); }
});
