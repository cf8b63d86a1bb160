/*
 * While Stripe verifies a contractor, asks GET /onboarding/status every few
 * seconds and reloads the page once something changed (the status or a
 * step), so the result shows without a manual reload; when the contractor
 * has started filling in a form, it says so with a link instead of
 * reloading over what they typed. Stops after 5 minutes or when Stripe has
 * nothing left to check. Without JavaScript, a page without a form to fill
 * refreshes itself (a <noscript> meta refresh).
 */
;(function () {
  const card = document.getElementById('status')
  if (!card || card.dataset.verifying !== 'true') {
    return
  }
  const badge = card.querySelector('[data-status]')
  const initialStatus = badge ? badge.dataset.status : null
  const initialSteps = {}
  document.querySelectorAll('[data-step-state]').forEach(function (element) {
    initialSteps[element.dataset.step] = element.dataset.stepState
  })
  const started = Date.now()
  const INTERVAL = 2000
  const LIMIT = 5 * 60 * 1000
  // Never reload over what the contractor is typing: say it instead
  let typing = false
  document.addEventListener('input', function () {
    typing = true
  })
  document.addEventListener('change', function () {
    typing = true
  })

  function showResult() {
    if (!typing) {
      window.location.reload()
      return
    }
    const live = document.getElementById('status-live')
    if (live) {
      live.textContent = 'Stripe has finished checking. '
      const link = document.createElement('a')
      link.href = window.location.href
      link.textContent = 'Show the result'
      live.appendChild(link)
      live.appendChild(document.createTextNode(' (what you typed below is not sent).'))
    }
  }

  function changed(answer) {
    if (answer.status !== initialStatus) {
      return true
    }
    return Object.keys(answer.steps || {}).some(function (step) {
      return initialSteps[step] !== undefined && answer.steps[step] !== initialSteps[step]
    })
  }

  function check() {
    fetch('/onboarding/status', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.ok ? response.json() : null
      })
      .then(function (answer) {
        if (answer && (changed(answer) || !answer.verifying)) {
          showResult()
          return
        }
        if (Date.now() - started < LIMIT) {
          window.setTimeout(check, INTERVAL)
        }
      })
      .catch(function () {
        if (Date.now() - started < LIMIT) {
          window.setTimeout(check, INTERVAL * 2)
        }
      })
  }
  window.setTimeout(check, INTERVAL)
})()
