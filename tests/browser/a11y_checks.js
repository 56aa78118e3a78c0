// Our own page checks, run in the browser by tests/browser/test_accessibility.py.
// For what axe leaves to judgement or reports below "serious".
(phone) => {
  const problems = [];
  const root = document.documentElement;
  if (phone && root.scrollWidth > root.clientWidth + 1) {
    const wide = [...document.body.querySelectorAll("*")].filter(
      el => el.getBoundingClientRect().right > root.clientWidth + 1 && !el.closest(".table-wrap")
    ).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "")).slice(-3);
    problems.push(`the page scrolls sideways: ${root.scrollWidth}px wide in ${root.clientWidth}px`
      + ` (${wide.join(", ")})`);
  }
  if (!root.lang) problems.push("<html> has no lang");
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} <h1> elements`);
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (!h.getClientRects().length) continue;
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) {
      problems.push(`heading jumps from h${last} to h${level}: "${h.textContent.trim().slice(0, 40)}"`);
    }
    last = level;
  }
  const focusable = document.querySelector("a[href], button, input:not([type=hidden]), select, textarea");
  if (!focusable || !focusable.classList.contains("skip-link")) {
    problems.push("the skip link is not the first thing to focus");
  }
  const targets = "button, a.button, input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
    + ", select, textarea, nav a";
  for (const el of document.querySelectorAll(targets)) {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (el.classList.contains("skip-link")) continue;
    if (box.height < 43.5 || box.width < 43.5) {
      const name = (el.textContent || el.name || el.id || "").trim().slice(0, 30);
      problems.push(`touch target ${Math.round(box.width)}x${Math.round(box.height)}px: <${el.tagName.toLowerCase()}> "${name}"`);
    }
  }
  for (const el of document.querySelectorAll("input[type=checkbox], input[type=radio]")) {
    const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
    const box = (label || el).getBoundingClientRect();
    if (box.height && box.height < 43.5) {
      problems.push(`choice ${el.name} is ${Math.round(box.height)}px high with its label`);
    }
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (el.placeholder && !(el.labels && el.labels.length)) {
      problems.push(`field ${el.name} has only a placeholder, no label`);
    }
  }
  for (const el of document.querySelectorAll("[aria-labelledby]")) {
    const ids = el.getAttribute("aria-labelledby").split(/\s+/).filter(Boolean);
    const missing = ids.filter(id => !document.getElementById(id));
    if (!ids.length || missing.length) {
      problems.push(`<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> is labelled by`
        + ` a missing element: ${missing.join(" ") || "(none)"}`);
    }
  }
  return problems;
}
