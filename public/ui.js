/** Small DOM helpers the tabs share. */

export const $ = (id) => document.getElementById(id);

/** Shows `text` in a tab's status line; errors in red. */
export function say(el, text, isError = false) {
  el.textContent = text;
  el.classList.toggle('error', isError);
}
