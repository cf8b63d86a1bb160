/*
 * "Copy link" on a payment request's page. Without JavaScript (or without the
 * clipboard API) the button stays hidden and the link is selected in its
 * read-only field.
 */
;(function () {
  const button = document.querySelector('[data-copy-button]')
  const status = document.querySelector('[data-copy-status]')
  const field = button ? document.getElementById(button.dataset.copyButton) : null
  if (!button || !field) {
    return
  }
  field.addEventListener('focus', function () {
    field.select()
  })
  if (!navigator.clipboard) {
    return
  }
  button.hidden = false
  button.addEventListener('click', async function () {
    try {
      await navigator.clipboard.writeText(field.value)
      status.textContent = 'Link copied.'
    } catch {
      field.select()
      status.textContent = 'Press Ctrl+C (or ⌘C) to copy the selected link.'
    }
  })
})()
