/*
 * Linking a bank account with Stripe.js (real Stripe only). No account number
 * reaches Crewpay: the server creates a SetupIntent (POST /bank-accounts/collect,
 * after the mandate box is ticked), Stripe.js collects the account through
 * Financial Connections (instant verification, or numbers + microdeposits as
 * the fallback) and confirms it with the mandate, then the form is sent with
 * the bank account's id: the server reads the outcome from Stripe.
 */
;(function () {
  const form = document.getElementById('add-bank-form')
  if (!form || !form.dataset.publishableKey || typeof window.Stripe !== 'function') {
    return
  }
  const stripe = window.Stripe(form.dataset.publishableKey)
  const errors = document.getElementById('bank-errors')
  const button = form.querySelector('button[type="submit"]')
  let submitting = false

  function fail(message) {
    errors.textContent = message
    submitting = false
    button.disabled = false
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault()
    if (submitting) {
      return
    }
    if (!form.elements.mandate.checked) {
      fail('Tick the box to authorize Crewpay to debit this account.')
      return
    }
    submitting = true
    button.disabled = true
    errors.textContent = ''

    const holderType = form.querySelector('input[name="account_holder_type"]:checked')
    const body = new URLSearchParams({
      _csrf: form.elements._csrf.value,
      form_token: form.elements.form_token.value,
      account_holder_name: form.elements.account_holder_name.value,
      account_holder_type: holderType ? holderType.value : 'individual',
      mandate: 'on',
    })
    let started
    try {
      const response = await fetch(form.dataset.collectUrl, {
        method: 'POST',
        headers: { Accept: 'application/json' },
        body: body,
        credentials: 'same-origin',
      })
      started = await response.json()
      if (!response.ok) {
        fail(started.error || 'The bank account could not be linked. Please try again.')
        return
      }
    } catch {
      fail('Crewpay could not be reached. Check your connection and try again.')
      return
    }

    const collected = await stripe.collectBankAccountForSetup({
      clientSecret: started.client_secret,
      params: {
        payment_method_type: 'us_bank_account',
        payment_method_data: {
          billing_details: {
            name: form.elements.account_holder_name.value,
            email: form.dataset.email,
          },
        },
      },
    })
    if (collected.error) {
      fail(collected.error.message)
      return
    }
    if (collected.setupIntent.status === 'requires_payment_method') {
      // The window was closed without choosing an account
      fail('No bank account was linked. Use the button again to choose one.')
      return
    }
    // Stripe.js records the mandate acceptance (IP, browser) with the confirmation
    const confirmed = await stripe.confirmUsBankAccountSetup(started.client_secret)
    if (confirmed.error) {
      fail(confirmed.error.message)
      return
    }
    form.elements.bank_account.value = String(started.bank_account)
    form.submit()
  })
})()
