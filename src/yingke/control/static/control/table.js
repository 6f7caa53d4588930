// The daily control table: the Print buttons open the browser's print dialog; the print
// stylesheet (table.css) fits one person's table on an A4 page.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
