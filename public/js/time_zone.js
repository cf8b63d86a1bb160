/*
 * Fills the hidden `time_zone` field of a form with the browser's time zone
 * (IANA name), so times are shown in it from the start. Without JavaScript
 * the field stays empty and the account uses UTC (changeable in Settings).
 */
;(function () {
  let zone = ''
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''
  } catch (error) {
    return
  }
  document.querySelectorAll('input[data-browser-zone]').forEach(function (input) {
    if (!input.value) {
      input.value = zone
    }
  })
  document.querySelectorAll('[data-browser-zone-text]').forEach(function (element) {
    element.textContent = zone
  })
})()
